/**
 * Background processes of the stack: start one detached in its own process group with its
 * output in a log file and its pid in a pid file; find, measure and stop it again.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";

/** How to start a long-running component. */
export interface DetachedSpec {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  outputFile: string;
  pidFile: string;
}

/**
 * Starts `spec.command` detached (a new session, so its pid is its process group id), with
 * stdout/stderr appended to `spec.outputFile`, and writes its pid to `spec.pidFile`.
 *
 * @returns the pid, which is also the process group id.
 */
export async function spawnDetached(spec: DetachedSpec): Promise<number> {
  mkdirSync(dirname(spec.outputFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const out = openSync(spec.outputFile, "a");
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ["ignore", out, out],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => {
        if (child.pid === undefined) reject(new Error(`${spec.command} has no pid`));
        else resolve(child.pid);
      });
    });
    child.unref();
    writeFileSync(spec.pidFile, `${pid}\n`);
    return pid;
  } finally {
    closeSync(out);
  }
}

/** The pid in a pid file, or `undefined`. */
export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes a pid file (no error if absent). */
export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}

/** True when `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return true; // no /proc (macOS): kill(0) is all we have
  }
}

/** The command line of `pid` (space-joined), or `undefined` if it is gone. */
export function processCommand(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return raw.split("\0").filter(Boolean).join(" ");
  } catch {
    const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], {
      encoding: "utf8",
      timeout: 5000,
    });
    const text = ps.stdout?.trim();
    return ps.status === 0 && text ? text : undefined;
  }
}

/** True when `pid` is alive and its command line contains `marker` (guards against pid reuse). */
export function isOurProcess(pid: number | undefined, marker: string): pid is number {
  if (pid === undefined || !isAlive(pid)) return false;
  return processCommand(pid)?.includes(marker) ?? false;
}

/** Every live process whose command line contains `marker`. */
export function findProcesses(marker: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  let entries: string[] | undefined;
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    entries = undefined;
  }
  if (entries) {
    for (const entry of entries) {
      const pid = Number(entry);
      if (pid === process.pid) continue;
      const command = processCommand(pid);
      if (command?.includes(marker) && isAlive(pid)) found.push({ pid, command });
    }
    return found;
  }
  const ps = spawnSync("ps", ["-axo", "pid=,command="], { encoding: "utf8", timeout: 5000 });
  for (const line of ps.stdout?.split("\n") ?? []) {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (match?.[2]?.includes(marker) && Number(match[1]) !== process.pid) {
      found.push({ pid: Number(match[1]), command: match[2] });
    }
  }
  return found;
}

/**
 * The pid of a component of ours: the one in its pid file if that process still carries `marker`,
 * else one found by `marker` in the process table (a lost pid file), which is written back.
 */
export function trackedPid(file: string, marker: string): number | undefined {
  const pid = readPidFile(file);
  if (isOurProcess(pid, marker)) return pid;
  const stray = findProcesses(marker)[0];
  if (stray === undefined) return undefined;
  writeFileSync(file, `${stray.pid}\n`);
  return stray.pid;
}

/** Resident memory of `pid` in bytes, or `undefined`. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    const ps = spawnSync("ps", ["-o", "rss=", "-p", String(pid)], {
      encoding: "utf8",
      timeout: 5000,
    });
    const kb = Number(ps.stdout?.trim());
    return ps.status === 0 && Number.isFinite(kb) && kb > 0 ? kb * 1024 : undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** How a stop went. */
export type StopOutcome = "not-running" | "stopped" | "killed";

/**
 * Stops the process group led by `pid`: SIGTERM (or SIGKILL when `hard`), then SIGKILL after
 * `graceMs`. Resolves once the leader is gone; never waits longer than `graceMs` + 5 s.
 */
export async function stopProcessGroup(
  pid: number,
  options: { graceMs?: number; hard?: boolean } = {},
): Promise<StopOutcome> {
  if (!isAlive(pid)) return "not-running";
  if (options.hard) {
    signalGroup(pid, "SIGKILL");
    await waitDead(pid, 5000);
    return "killed";
  }
  signalGroup(pid, "SIGTERM");
  if (await waitDead(pid, options.graceMs ?? 20_000)) return "stopped";
  signalGroup(pid, "SIGKILL");
  await waitDead(pid, 5000);
  return "killed";
}

/** Size of a file in bytes (0 if it is missing): remember it before a start to tail only that run. */
export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last `lines` lines of a text file, from byte `fromOffset` on ("" if it is missing). */
export function tailFile(file: string, lines = 40, fromOffset = 0): string {
  let text: string;
  try {
    const buffer = readFileSync(file);
    text = buffer.subarray(Math.min(fromOffset, buffer.length)).toString("utf8");
  } catch {
    return "";
  }
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** Result of a one-off command. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/**
 * Runs a one-off command to completion with its output appended to `logFile`, killing it after
 * `timeoutMs`.
 */
export function runLogged(
  command: string,
  args: string[],
  options: { cwd: string; logFile: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const out = openSync(options.logFile, "a");
  writeFileSync(out, `\n$ ${command} ${args.join(" ")}\n`);
  return new Promise<RunResult>((resolve) => {
    let timedOut = false;
    let settled = false;
    const finish = (result: RunResult, error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) writeFileSync(out, `${error.message}\n`);
      closeSync(out);
      resolve(result);
    };
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      // same process group as ours, so Ctrl-C in a terminal stops it too
      stdio: ["ignore", out, out],
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.once("error", (error) => finish({ code: 127, signal: null, timedOut }, error));
    child.once("close", (code, signal) => finish({ code, signal, timedOut }));
  });
}
