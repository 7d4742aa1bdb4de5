import { EXIT, type ExitCode } from "./exit-codes.ts";

/**
 * Every error the CLI reports on purpose: one line saying what is wrong, and (`hint`) what to type
 * instead. `main` prints `error: <message>` and `  → <hint>`, and exits with `exitCode`.
 */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad arguments: nothing was started. */
export class UsageError extends CliError {
  readonly exitCode = EXIT.usage;
}

/** A session, stack, group, projection, replay, queue or topic that does not exist. */
export class NotFoundError extends CliError {
  readonly exitCode = EXIT.notFound;
}

/** No AWS credentials, or AWS refused them. */
export class CredentialsError extends CliError {
  readonly exitCode = EXIT.credentials;
}

/** Kafka, the emulator or an AWS endpoint cannot be reached. */
export class UnavailableError extends CliError {
  readonly exitCode = EXIT.unavailable;
}

/** The system's state forbids it now (an active consumer, a rebuild in progress...). */
export class RefusedError extends CliError {
  readonly exitCode = EXIT.refused;
}

/** Waited too long. */
export class TimeoutError extends CliError {
  readonly exitCode = EXIT.timeout;
}

/** The command ran, and its result needs the operator's attention (exit 1, no stack trace). */
export class AttentionError extends CliError {
  readonly exitCode = EXIT.attention;
}
