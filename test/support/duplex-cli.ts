import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** What a `duplex` run printed, and its JSON result (`{}` when stdout was not JSON). */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

/**
 * Starts `duplex <args> --session <name> --json` as a child process (the real binary, as an
 * operator runs it); `done` settles when it exits, `child` lets a test kill it.
 */
export function startDuplex(
  session: string,
  ...args: string[]
): { child: ChildProcess; done: Promise<CliRun> } {
  return spawnDuplex(session, args, {});
}

function spawnDuplex(
  session: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(
    process.execPath,
    [join(root, "bin", "duplex.ts"), "--session", session, "--json", ...args],
    { cwd: root, env: { ...process.env, NO_COLOR: "1", ...env } },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const done = new Promise<CliRun>((ok, fail) => {
    child.on("error", fail);
    child.on("close", (code) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        // not JSON (help, nothing, or killed)
      }
      ok({ code: code ?? -1, stdout, stderr, json });
    });
  });
  return { child, done };
}

/** Runs `duplex <args> --session <name> --json` to its end. */
export function duplexRun(session: string, ...args: string[]): Promise<CliRun> {
  return startDuplex(session, ...args).done;
}

/**
 * Runs `duplex <args> --session <name> --json` to its end with `env` added to this process's
 * environment.
 *
 * @example
 * ```ts
 * const run = await duplexRunWithEnv("t1a2b3c", ["lag"], { DUPLEX_LOG_VIA: "function" });
 * ```
 */
export function duplexRunWithEnv(
  session: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<CliRun> {
  return spawnDuplex(session, args, env).done;
}
