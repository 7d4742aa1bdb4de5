import type { Command } from "commander";
import { LogReadTimeoutError } from "../../functions/kit/log-query/errors.ts";
import { CliError, TimeoutError } from "./errors.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import { createOutput, type Output } from "./output/output.ts";
import { openTarget, type TargetOptions } from "./target/open.ts";
import type { Target } from "./target/target.ts";

/** What every command gets: where to write, the target (opened on first use), a stop signal. */
export interface Context {
  readonly out: Output;
  readonly target: () => Promise<Target>;
  /** Aborted on Ctrl-C: long operations stop waiting (what was started on AWS goes on). */
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** `--yes`: skip confirmations. */
  readonly yes: boolean;
}

export interface GlobalOptions extends TargetOptions {
  readonly json?: boolean;
  readonly color?: boolean;
  readonly yes?: boolean;
}

/** Reports an error for people (or scripts) and returns its exit code. */
export function reportError(out: Output, error: unknown): ExitCode {
  if (error instanceof CliError) {
    out.note(`error: ${error.message}`);
    if (error.hint !== undefined) out.note(`  → ${error.hint}`);
    out.result({ ok: false, error: error.name, message: error.message, hint: error.hint });
    return error.exitCode;
  }
  if (error instanceof LogReadTimeoutError) {
    return reportError(out, new TimeoutError(error.message, { cause: error }));
  }
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  if (/ECONNREFUSED|ETIMEDOUT|ENOTFOUND|Connection closed|not available/i.test(message + cause)) {
    out.note(`error: cannot reach a dependency: ${message}${cause}`);
    out.note("  → is the local stack up? npm run stack:status (or check your AWS network path)");
    out.result({ ok: false, error: "UnavailableError", message: `${message}${cause}` });
    return EXIT.unavailable;
  }
  out.note(`error: ${message}${cause}`);
  if (process.env.DUPLEX_DEBUG && error instanceof Error) out.note(error.stack ?? "");
  else out.note("  → set DUPLEX_DEBUG=1 for the stack trace");
  out.result({ ok: false, error: "InternalError", message: `${message}${cause}` });
  return EXIT.attention;
}

/**
 * Runs a command's body with its context, closes the target, and sets the exit code. The body
 * returns an exit code (default 0).
 */
export async function run(
  command: Command,
  body: (ctx: Context) => Promise<ExitCode | undefined>,
): Promise<void> {
  const globals = command.optsWithGlobals() as GlobalOptions;
  const out = createOutput({ json: globals.json === true, color: globals.color !== false });
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(EXIT.interrupted);
    abort.abort();
  };
  process.on("SIGINT", onSigint);
  let target: Promise<Target> | undefined;
  const ctx: Context = {
    out,
    signal: abort.signal,
    now: () => new Date(),
    yes: globals.yes === true,
    target: () => {
      target ??= openTarget(globals);
      return target;
    },
  };
  let code: ExitCode;
  try {
    code = (await body(ctx)) ?? EXIT.ok;
  } catch (error) {
    code = abort.signal.aborted ? EXIT.interrupted : reportError(out, error);
  } finally {
    process.off("SIGINT", onSigint);
    if (target !== undefined) await (await target.catch(() => undefined))?.close();
  }
  process.exitCode = code;
}
