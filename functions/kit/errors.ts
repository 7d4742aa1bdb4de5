/**
 * Errors of the handler kit. Each carries its `cause` and names the ids involved; `retryable`
 * tells the adapters whether the record should be tried again or go to its dead-letter
 * destination now.
 */

/** A variable the function needs is not set: thrown at cold start, naming it. */
export class MissingEnvironmentVariableError extends Error {
  readonly variables: readonly string[];
  constructor(functionName: string, variables: readonly string[]) {
    super(
      `${functionName}: missing environment variable${variables.length > 1 ? "s" : ""} ${variables.join(", ")}`,
    );
    this.name = "MissingEnvironmentVariableError";
    this.variables = variables;
  }
}

/** A variable is set but unusable. */
export class InvalidEnvironmentVariableError extends Error {
  readonly variable: string;
  constructor(variable: string, expected: string) {
    super(`environment variable ${variable}: expected ${expected}`);
    this.name = "InvalidEnvironmentVariableError";
    this.variable = variable;
  }
}

/** A conditional write lost against a concurrent writer more times than allowed. */
export class VersionConflictError extends Error {
  readonly retryable = true;
  readonly keys: readonly string[];
  constructor(keys: readonly string[], attempts: number, options?: { cause?: unknown }) {
    super(`version conflict on ${keys.join(", ")} after ${attempts} attempt(s)`, options);
    this.name = "VersionConflictError";
    this.keys = keys;
  }
}

/** A record reached a function that does not handle its type (a routing bug): not retryable. */
export class UnexpectedEventTypeError extends Error {
  readonly retryable = false;
  readonly code = "UNEXPECTED_EVENT_TYPE";
  constructor(functionName: string, eventType: string, eventId: string) {
    super(`${functionName} does not handle ${eventType} (event ${eventId})`);
    this.name = "UnexpectedEventTypeError";
  }
}

/**
 * The `default` of a command handler's exhaustive `switch` on the command's type (destructured,
 * so TypeScript narrows it to `never` even when one command is routed): a command routed to the
 * handler later fails to compile here until it has its case. At run time it is unreachable (the
 * kit refuses unrouted commands first); if reached anyway it throws
 * {@link UnexpectedEventTypeError}, which is not retried.
 *
 * @example
 * ```ts
 * const { eventType } = command;
 * switch (eventType) {
 *   case "RegisterCustomerRequested": ...; return;
 *   default: return unhandledCommand(declaration, eventType, command);
 * }
 * ```
 */
export function unhandledCommand(
  declaration: { readonly name: string },
  eventType: never,
  command: { readonly eventId: string },
): never {
  throw new UnexpectedEventTypeError(declaration.name, String(eventType), command.eventId);
}

/** The fast lane refused entries after every retry; the command is safe in the log. */
export class FastLaneDeliveryError extends Error {
  readonly failures: readonly { eventId: string; errorCode: string; errorMessage: string }[];
  constructor(failures: readonly { eventId: string; errorCode: string; errorMessage: string }[]) {
    super(
      `fast lane refused ${failures.length} command(s): ${failures
        .slice(0, 5)
        .map((f) => `${f.eventId} (${f.errorCode}: ${f.errorMessage})`)
        .join("; ")}`,
    );
    this.name = "FastLaneDeliveryError";
    this.failures = failures;
  }
}

/** A dead-letter destination could not take a record; the record must not be acknowledged. */
export class DeadLetterError extends Error {
  readonly retryable = true;
  constructor(destination: string, recordId: string, options: { cause: unknown }) {
    super(`could not dead-letter ${recordId} to ${destination}`, options);
    this.name = "DeadLetterError";
  }
}

/** Whether an error says trying again cannot help (decoding errors, routing bugs). */
export function isNonRetryable(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "retryable" in error &&
    (error as { retryable: unknown }).retryable === false
  );
}

/** A short, stable code for an error, for dead-letter records and metrics. */
export function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return error instanceof Error ? error.name : "UnknownError";
}

/** DynamoDB kept refusing part of a rebuild's batch write (throttled past every retry). */
export class RebuildWriteError extends Error {
  readonly retryable = true;
  constructor(tableName: string, items: number, options?: { cause?: unknown }) {
    super(`${tableName}: ${items} read-model item(s) still unprocessed after 20 attempts`, options);
    this.name = "RebuildWriteError";
  }
}

/** A rebuild made no progress for longer than its stall timeout. */
/**
 * The rebuild's reading thread failed: the log could not be read, or the thread died. The
 * worker's own error (its name, message and stack) is the `cause`.
 */
export class RebuildReadError extends Error {
  readonly retryable = true;
  constructor(projection: string, version: number, what: string, options?: { cause?: unknown }) {
    super(
      `rebuild of ${projection} v${version}: its reading thread ${what}; resume it from its checkpoint`,
      options,
    );
    this.name = "RebuildReadError";
  }
}

export class RebuildStalledError extends Error {
  readonly retryable = true;
  constructor(projection: string, version: number, stalledMs: number, remaining: number) {
    super(
      `rebuild of ${projection} v${version} made no progress for ${Math.round(stalledMs / 1000)} s with ${remaining} event(s) to go; resume it from its checkpoint`,
    );
    this.name = "RebuildStalledError";
  }
}
