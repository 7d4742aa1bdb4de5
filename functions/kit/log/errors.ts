/** Errors of the log port. Each names the topic, group or brokers involved. */

/**
 * The log did not acknowledge records: the refusal type of the log lane. Callers that face users
 * (the HTTP command API answers 503, the demo's order placer retries later) catch this class; it
 * always means "not accepted now, safe to send the same envelopes again" (same event ids, and
 * consumers deduplicate by them).
 *
 * - `topics` — the topics the refused records were for (physical names, namespace included).
 * - `retryable` — always `true`: a refusal is an outage, never bad input (bad input fails earlier,
 *   with an `EventError`, before anything is sent).
 * - `cause` — what the Kafka client said (connection refused, not enough replicas, timeout...).
 *
 * Adapters throw it for one send that failed after the client's own quick retries; the publisher
 * throws the subclass {@link PublishRefusedError} once its retry budget is spent.
 *
 * @example
 * ```ts
 * try { await publisher.publish(events); }
 * catch (error) { if (error instanceof LogPublishError) return { statusCode: 503 }; throw error; }
 * ```
 */
export class LogPublishError extends Error {
  readonly topics: readonly string[];
  readonly retryable = true;
  constructor(topics: readonly string[], options: { cause: unknown }, message?: string) {
    super(
      message ??
        `the log did not acknowledge records for ${topics.join(", ")}: ${describe(options.cause)}`,
      options,
    );
    this.name = "LogPublishError";
    this.topics = topics;
  }
}

/**
 * The publisher gave up: every attempt to write the events to the log failed within its retry
 * budget (`DUPLEX_PUBLISH_RETRY_BUDGET_SECONDS`). Nothing of the call went to the fast lane. Some
 * events may still have reached the log (an acknowledgement lost on the way back, or a send that
 * completed after the budget ran out): publishing the same envelopes again is safe.
 *
 * Besides {@link LogPublishError}'s fields:
 * - `eventIds` — the ids of every event of the refused call;
 * - `attempts` — sends tried (the first included);
 * - `elapsedMs` — from the first attempt to the refusal;
 * - `budgetMs` — the retry budget that was spent.
 */
export class PublishRefusedError extends LogPublishError {
  readonly eventIds: readonly string[];
  readonly attempts: number;
  readonly elapsedMs: number;
  readonly budgetMs: number;
  constructor(refusal: {
    readonly topics: readonly string[];
    readonly eventIds: readonly string[];
    readonly attempts: number;
    readonly elapsedMs: number;
    readonly budgetMs: number;
    readonly cause: unknown;
  }) {
    super(
      refusal.topics,
      { cause: refusal.cause },
      `the log refused ${refusal.eventIds.length} event(s) for ${refusal.topics.join(", ")} after ${refusal.attempts} attempt(s) in ${refusal.elapsedMs} ms (retry budget ${refusal.budgetMs} ms): ${describe(refusal.cause)}`,
    );
    this.name = "PublishRefusedError";
    this.eventIds = refusal.eventIds;
    this.attempts = refusal.attempts;
    this.elapsedMs = refusal.elapsedMs;
    this.budgetMs = refusal.budgetMs;
  }
}

/** A send got no answer within the time left of the publisher's retry budget. */
export class LogAcknowledgementTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no acknowledgement within ${timeoutMs} ms`);
    this.name = "LogAcknowledgementTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** An admin operation got no answer in time (the broker may be frozen or cut off). */
export class LogAdminTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no answer from the log within ${timeoutMs / 1000} s`);
    this.name = "LogAdminTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** An admin operation failed. */
export class LogAdminError extends Error {
  readonly operation: string;
  constructor(operation: string, subject: string, options: { cause: unknown }) {
    super(`${operation} ${subject}: ${describe(options.cause)}`, options);
    this.name = "LogAdminError";
    this.operation = operation;
  }
}

/** A consumer group is active, so its offsets cannot be moved. */
export class ConsumerGroupActiveError extends Error {
  readonly groupId: string;
  constructor(groupId: string, members: number) {
    super(
      `consumer group ${groupId} has ${members} active member(s); stop it before moving offsets`,
    );
    this.name = "ConsumerGroupActiveError";
    this.groupId = groupId;
  }
}

/**
 * A log client's adapter could not be loaded: kafkajs is left out of the Lambda bundles (only
 * the benchmarks and the local host choose it), so choosing it in a bundle ends here.
 */
export class LogClientUnavailableError extends Error {
  readonly client: string;
  constructor(client: string, adapter: string, options: { cause: unknown }) {
    super(
      `log client '${client}' is not available here (could not load ${adapter}: ${describe(options.cause)}); ` +
        "it is for the benchmarks and the local host only — unset DUPLEX_KAFKA_CLIENT to use the default",
      options,
    );
    this.name = "LogClientUnavailableError";
    this.client = client;
  }
}

/**
 * A read asked for an offset the partition does not hold: before its start (retention removed it)
 * or past its end.
 */
export class OffsetOutOfRangeError extends Error {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly logStartOffset: string;
  constructor(topic: string, partition: number, offset: string, logStartOffset: string) {
    super(
      `offset ${offset} of ${topic}-${partition} is not in the log (it starts at ${logStartOffset})`,
    );
    this.name = "OffsetOutOfRangeError";
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.logStartOffset = logStartOffset;
  }
}

/**
 * An error's message, with the first inner errors of an aggregate (the Kafka clients wrap the
 * per-broker causes: "Producing messages failed." alone says nothing).
 */
function describe(cause: unknown, depth = 0): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { errors?: unknown }).errors;
  if (depth < 2 && Array.isArray(inner) && inner.length > 0) {
    const causes = [...new Set(inner.slice(0, 3).map((e) => describe(e, depth + 1)))];
    return `${cause.message} (${causes.join("; ")})`;
  }
  return cause.message;
}
