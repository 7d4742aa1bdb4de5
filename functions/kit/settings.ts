import { InvalidEnvironmentVariableError } from "./errors.ts";

/**
 * Tunables with defaults suited to AWS; the local stack sets shorter ones so that drills finish
 * in seconds. Each is read once, at cold start.
 */
function seconds(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  return positive(name, fallback, "a positive number of seconds", Number.isFinite, env);
}

function count(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  return positive(name, fallback, "a positive whole number (a count)", Number.isInteger, env);
}

function positive(
  name: string,
  fallback: number,
  expected: string,
  valid: (value: number) => boolean,
  env: NodeJS.ProcessEnv,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!valid(value) || value <= 0) throw new InvalidEnvironmentVariableError(name, expected);
  return value;
}

/** How long after a critical command is logged its handling must be recorded (default 60 s). */
export const fastLaneDeadlineSeconds = () => seconds("DUPLEX_FAST_LANE_DEADLINE_SECONDS", 60);

/** Redeliveries of one command before the reconciler gives up (it is then in a DLQ). */
export const maxRedeliveries = () => count("DUPLEX_FAST_LANE_MAX_REDELIVERIES", 3);

/** How long a committed event may wait in the outbox before the sweeper publishes it. */
export const outboxGraceSeconds = () => seconds("DUPLEX_OUTBOX_GRACE_SECONDS", 10);

/**
 * How long a publish keeps trying to get the log's acknowledgement before it is refused (default
 * 10 s): long enough to ride through a leader election or a broker restart, short enough to fit in
 * a Lambda invocation with the rest of its work.
 */
export const publishRetryBudgetSeconds = () => seconds("DUPLEX_PUBLISH_RETRY_BUDGET_SECONDS", 10);
