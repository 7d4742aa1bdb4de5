/**
 * TCP ports on 127.0.0.1: is one free, who holds it, wait for it to be released.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { PortInUseError } from "./errors.ts";
import { processCommand } from "./processes.ts";

/** True when nothing listens on `port` (we could bind 127.0.0.1:`port`). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:`port` (within `timeoutMs`). */
export function isListening(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... inode(9)
      const local = cols[1];
      if (cols[3] === "0A" && local?.endsWith(`:${hexPort}`) && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/**
 * The process listening on `port`, if it can be found: Linux `/proc` first, then `lsof`.
 * Returns `undefined` when nobody listens or the holder is not visible to us.
 */
export function portOwner(port: number): { pid: number; command: string } | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size > 0) {
    for (const entry of safeReaddir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      for (const fd of safeReaddir(`/proc/${entry}/fd`)) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          continue;
        }
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) {
          const pid = Number(entry);
          return { pid, command: processCommand(pid) ?? "?" };
        }
      }
    }
    return undefined;
  }
  const lsof = spawnSync("lsof", ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-t"], {
    encoding: "utf8",
    timeout: 5000,
  });
  const pid = Number(lsof.stdout?.split("\n")[0]);
  if (lsof.status === 0 && Number.isInteger(pid) && pid > 0) {
    return { pid, command: processCommand(pid) ?? "?" };
  }
  return undefined;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Throws {@link PortInUseError} naming the holder when `port` is taken.
 *
 * @param fix - how to move the stack off that port, e.g. "or set DUPLEX_KAFKA_PORT=19092".
 */
export async function ensurePortFree(port: number, fix: string): Promise<void> {
  if (await isPortFree(port)) return;
  const owner = portOwner(port);
  const command = owner ? shorten(owner.command) : undefined;
  throw new PortInUseError(port, owner ? { pid: owner.pid, command: command ?? "?" } : undefined, {
    hint: `${owner ? `stop pid ${owner.pid}` : `stop whatever listens on ${port} (try: lsof -i :${port})`}, ${fix}`,
  });
}

/** Waits until `port` is free; resolves false after `timeoutMs`. */
export async function waitPortFree(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isPortFree(port)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function shorten(command: string, max = 120): string {
  const flat = command.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
