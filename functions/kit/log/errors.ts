/** Errors of the log port. Each names the topic, group or brokers involved. */

/** The brokers did not acknowledge a send (after the client's own retries). */
export class LogPublishError extends Error {
  readonly topics: readonly string[];
  constructor(topics: readonly string[], options: { cause: unknown }) {
    super(
      `the log did not acknowledge records for ${topics.join(", ")}: ${describe(options.cause)}`,
      options,
    );
    this.name = "LogPublishError";
    this.topics = topics;
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

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
