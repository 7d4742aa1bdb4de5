/**
 * A lock file (`.duplex/run/stack.lock`) so that two `up`/`down`/`reset` never interleave (e.g.
 * a terminal and the integration tests' global setup). A lock left by a dead process is taken
 * over.
 *
 * @module
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StackLockedError } from "./errors.ts";
import { paths } from "./paths.ts";
import { isAlive } from "./processes.ts";

const lockFile = join(paths.run, "stack.lock");

function holder(): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Calls within this process queue here first, so the file lock is only contended between processes. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` holding the stack lock, waiting up to `timeoutMs` for another holder.
 *
 * @throws {StackLockedError} when a live process holds it longer than `timeoutMs`.
 */
export function withStackLock<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const run = queue.then(() => withFileLock(fn, timeoutMs));
  queue = run.catch(() => {});
  return run;
}

async function withFileLock<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  mkdirSync(paths.run, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = holder();
      if (pid === undefined || pid === process.pid || !isAlive(pid)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new StackLockedError(pid, {
          hint: `wait for it to finish; if it is stuck, stop it (kill ${pid}) and run the command again`,
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    if (holder() === process.pid) rmSync(lockFile, { force: true });
  }
}
