/**
 * Lock files in `.duplex/run/`: `stack.lock` so that two `up`/`down`/`reset` never interleave
 * (e.g. a terminal and the integration tests' global setup), and `install-<component>.lock` so
 * that two installs of one component (e.g. CI's `stack:install` in the background and a
 * `stack:up`) never share a staging folder. A lock left by a dead process is taken over.
 *
 * @module
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StackLockedError } from "./errors.ts";
import { paths } from "./paths.ts";
import { isAlive } from "./processes.ts";

function holder(lockFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls within this process queue here first (one queue per lock), so a file lock is only
 * contended between processes.
 */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` holding the stack lock, waiting up to `timeoutMs` for another holder.
 *
 * @throws {StackLockedError} when a live process holds it longer than `timeoutMs`.
 */
export function withStackLock<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  return withLock("stack", fn, timeoutMs);
}

/**
 * Runs `fn` holding the install lock of `component` (`kafka`, `moto`, `localstack`, ...).
 *
 * @throws {StackLockedError} when a live process holds it longer than `timeoutMs`.
 */
export function withInstallLock<T>(
  component: string,
  fn: () => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  return withLock(`install-${component}`, fn, timeoutMs, `installing ${component}`);
}

function withLock<T>(
  name: string,
  fn: () => Promise<T>,
  timeoutMs: number,
  what = "stack command",
): Promise<T> {
  const run = (queues.get(name) ?? Promise.resolve()).then(() =>
    withFileLock(join(paths.run, `${name}.lock`), fn, timeoutMs, what),
  );
  queues.set(
    name,
    run.catch(() => {}),
  );
  return run;
}

async function withFileLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  mkdirSync(paths.run, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = holder(lockFile);
      if (pid === undefined || pid === process.pid || !isAlive(pid)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new StackLockedError(pid, what, {
          hint: `wait for it to finish; if it is stuck, stop it (kill ${pid}) and run the command again`,
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    if (holder(lockFile) === process.pid) rmSync(lockFile, { force: true });
  }
}
