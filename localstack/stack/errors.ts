/**
 * Named errors of the local stack. Each one says what went wrong and, in `hint`, how to fix it;
 * the CLI prints both (and, for a failed start, the tail of the failing component's log).
 *
 * @module
 */

/** Options shared by every stack error. */
export interface StackErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** One or two sentences telling the user how to fix it. */
  hint?: string;
}

/** Base class of every error the local stack raises on purpose. */
export class StackError extends Error {
  /** How to fix it, for people. */
  readonly hint: string | undefined;

  constructor(message: string, options: StackErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StackError";
    this.hint = options.hint;
  }
}

/** An environment variable holds a value the stack cannot use. */
export class ConfigError extends StackError {
  /** The variable at fault, e.g. `DUPLEX_KAFKA_BROKERS`. */
  readonly variable: string;

  constructor(variable: string, message: string, options: StackErrorOptions = {}) {
    super(`${variable}: ${message}`, options);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

/** A tool the stack needs (java, mvn, python3, Python 3.13 for LocalStack) is missing or too old. */
export class PrerequisiteError extends StackError {
  /** The missing tool, e.g. `java`. */
  readonly tool: string;

  constructor(tool: string, message: string, options: StackErrorOptions = {}) {
    super(message, options);
    this.name = "PrerequisiteError";
    this.tool = tool;
  }
}

/** A port the stack wants is held by a process that is not the stack's. */
export class PortInUseError extends StackError {
  readonly port: number;
  /** The holder, when it could be found (Linux `/proc`, or `lsof`). */
  readonly pid: number | undefined;
  /** The holder's command line, shortened. */
  readonly command: string | undefined;

  constructor(
    port: number,
    holder: { pid?: number; command?: string } | undefined,
    options: StackErrorOptions = {},
  ) {
    const who =
      holder?.pid === undefined
        ? "another process"
        : `pid ${holder.pid}${holder.command ? ` (${holder.command})` : ""}`;
    super(`port ${port} on 127.0.0.1 is in use by ${who}`, options);
    this.name = "PortInUseError";
    this.port = port;
    this.pid = holder?.pid;
    this.command = holder?.command;
  }
}

/** A component failed and left a log behind: which one, its log file and the log's last lines. */
abstract class ComponentLogError extends StackError {
  /** `kafka`, `kafka-1`, `moto`, `localstack`, `dynamodb` or `toxiproxy`. */
  readonly component: string;
  /** Its log file. */
  readonly logFile: string;
  /** The last lines of that log. */
  readonly logTail: string;

  constructor(
    component: string,
    message: string,
    log: { file: string; tail: string },
    options: StackErrorOptions = {},
  ) {
    super(message, options);
    this.component = component;
    this.logFile = log.file;
    this.logTail = log.tail;
  }
}

/** A one-off install step (Maven resolve, virtualenv, pip install, storage format) failed. */
export class InstallError extends ComponentLogError {
  override readonly name = "InstallError";
}

/** A component exited during start-up, or did not become ready in time. */
export class StartupError extends ComponentLogError {
  override readonly name = "StartupError";
}

/** An endpoint the stack does not manage (set by env) does not answer. */
export class EndpointUnavailableError extends StackError {
  readonly endpoint: string;

  constructor(endpoint: string, message: string, options: StackErrorOptions = {}) {
    super(message, options);
    this.name = "EndpointUnavailableError";
    this.endpoint = endpoint;
  }
}

/** The request contradicts what is running (e.g. `--brokers 3` while one broker runs). */
export class StackStateError extends StackError {
  constructor(message: string, options: StackErrorOptions = {}) {
    super(message, options);
    this.name = "StackStateError";
  }
}

/** Another stack command (or install) holds a lock for longer than we may wait. */
export class StackLockedError extends StackError {
  readonly holderPid: number;

  /** @param what - what the holder does, e.g. `stack command` or `installing localstack`. */
  constructor(holderPid: number, what = "stack command", options: StackErrorOptions = {}) {
    super(
      what === "stack command"
        ? `another stack command (pid ${holderPid}) is running`
        : `another process (pid ${holderPid}) is ${what}`,
      options,
    );
    this.name = "StackLockedError";
    this.holderPid = holderPid;
  }
}

/** Text for people: the message, the hint, and the log tail when there is one. */
export function describeStackError(error: unknown): string {
  if (!(error instanceof StackError)) {
    return error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  const lines = [`error: ${error.message}`];
  if (error.hint) lines.push(`  fix: ${error.hint}`);
  if (error instanceof StartupError || error instanceof InstallError) {
    lines.push(`  log: ${error.logFile}`);
    if (error.logTail.trim()) {
      lines.push(`---- last lines of ${error.logFile} ----`, error.logTail.trimEnd(), "----");
    }
  }
  return lines.join("\n");
}
