import type { MskEventRecord } from "../../events/codecs/lambda.ts";
import { DEAD_LETTER_TOPIC } from "../../events/topics.ts";
import { DLQ_FIELDS } from "../../functions/kit/dead-letters.ts";
import type { LogTrigger } from "../../functions/kit/declarations.ts";
import type { History } from "../../functions/kit/history.ts";
import { historyNow } from "../../functions/kit/history.ts";
import type {
  IncomingRecord,
  LogClient,
  LogConsumer,
  LogProducer,
  PartitionBatch,
} from "../../functions/kit/log/port.ts";
import type { LocalFunction } from "./local-function.ts";

/**
 * Lambda's MSK event source mapping, locally, for one (function, topic): a consumer group reads
 * the topic and hands each partition's records, in order, to the function in the exact MSK event
 * shape. With a partial batch response the records before the lowest failure are done and the
 * rest is retried (up to `maxRetries`, with backoff); once retries are spent, the failing record
 * goes to the on-failure destination (the `dead-letters` topic, with the reason in `dlq_*`
 * headers) and the rest of the batch carries on — what bisecting down to one record gives on AWS.
 * Offsets are committed only once the batch is settled.
 */
export class LogPoller {
  readonly #fn: LocalFunction;
  readonly #trigger: LogTrigger;
  readonly #topic: string;
  readonly #groupId: string;
  readonly #log: LogClient;
  readonly #deadLetters: LogProducer;
  readonly #history: History | undefined;
  readonly #eventSourceArn: string;
  #consumer: LogConsumer | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;
  #restart: NodeJS.Timeout | undefined;
  batches = 0;
  records = 0;
  deadLettered = 0;
  lastError: string | undefined;
  /** What Lambda reports as a mapping's `LastProcessingResult`: `OK`, `PROBLEM: …`, or none yet. */
  lastProcessingResult = "No records processed";

  constructor(options: {
    fn: LocalFunction;
    trigger: LogTrigger;
    topic: string;
    groupId: string;
    log: LogClient;
    deadLetters: LogProducer;
    /** Where records the poller dead-letters are recorded (the run history). */
    history?: History;
    /**
     * The MSK event's `eventSourceArn`. The host builds it from the emulator's region and account.
     *
     * @default `arn:aws:kafka:local:000000000000:cluster/duplex-local/local`
     */
    eventSourceArn?: string;
  }) {
    this.#fn = options.fn;
    this.#trigger = options.trigger;
    this.#topic = options.topic;
    this.#groupId = options.groupId;
    this.#log = options.log;
    this.#deadLetters = options.deadLetters;
    this.#history = options.history;
    this.#eventSourceArn =
      options.eventSourceArn ?? "arn:aws:kafka:local:000000000000:cluster/duplex-local/local";
  }

  get groupId(): string {
    return this.#groupId;
  }

  get functionName(): string {
    return this.#fn.name;
  }

  get topic(): string {
    return this.#topic;
  }

  /** Whether the poller is consuming (started and not stopped). */
  get running(): boolean {
    return this.#consumer !== undefined && !this.#stopped;
  }

  /** Starts polling; a poller that is already polling (or about to restart) is left as it is. */
  start(): void {
    if (this.#consumer !== undefined && !this.#stopped) return;
    this.#stopped = false;
    this.#consume();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restart);
    this.#restart = undefined;
    await this.#consumer?.stop();
    await this.#loop;
  }

  #consume(): void {
    this.#consumer = this.#log.consumer({
      groupId: this.#groupId,
      topics: [this.#topic],
      startFrom: this.#trigger.startingPosition === "TRIM_HORIZON" ? "earliest" : "latest",
      maxBatchSize: this.#trigger.batchSize,
      maxWaitMs: Math.max(50, this.#trigger.batchingWindowSeconds * 1000),
    });
    this.#loop = this.#consumer
      .run((batch) => this.#deliver(batch))
      .catch((error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        // Like an event source mapping, keep polling: restart after a pause, unless stopped
        // meanwhile.
        if (this.#stopped) return;
        this.#restart = setTimeout(() => {
          this.#restart = undefined;
          if (!this.#stopped) this.#consume();
        }, 1_000);
      });
  }

  async #deliver(batch: PartitionBatch): Promise<void> {
    this.batches++;
    let records = [...batch.records];
    let attempts = 0;
    while (records.length > 0 && !this.#stopped) {
      const failedAt = await this.#invoke(records);
      if (failedAt === -1) {
        this.records += records.length;
        return;
      }
      this.records += failedAt;
      records = records.slice(failedAt);
      attempts++;
      if (attempts > this.#trigger.maxRetries) {
        const [poison, ...rest] = records;
        if (poison !== undefined) await this.#sendToDeadLetters(poison, this.lastError ?? "failed");
        records = rest;
        attempts = 0;
      } else {
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempts)));
      }
    }
    if (this.#stopped && records.length > 0) {
      // Not committed: the group re-reads these records when it starts again.
      throw new Error("stopped with records in flight");
    }
  }

  /** Index of the first failed record, or -1 when every record succeeded. */
  async #invoke(records: readonly IncomingRecord[]): Promise<number> {
    const event = {
      eventSource: "aws:kafka",
      eventSourceArn: this.#eventSourceArn,
      bootstrapServers: "local",
      records: {
        [`${this.#topic}-${records[0]?.partition ?? 0}`]: records.map(toMskRecord),
      },
    };
    try {
      const response = (await this.#fn.invoke(event)) as
        | { batchItemFailures?: { itemIdentifier: string }[] }
        | undefined;
      const failures = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      if (failures.size === 0) {
        this.lastProcessingResult = "OK";
        return -1;
      }
      this.lastError = `batch item failures reported by ${this.#fn.name}`;
      this.lastProcessingResult = `PROBLEM: ${this.lastError}`;
      const ids = records.map((r) => `${r.topic}-${r.partition}-${r.offset}`);
      // As Lambda does, a failure naming no record of the batch fails the whole batch.
      if ([...failures].some((id) => !ids.includes(id))) {
        this.lastError = `${this.#fn.name} reported failures that name no record of the batch`;
        return 0;
      }
      return ids.findIndex((id) => failures.has(id));
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.lastProcessingResult = `PROBLEM: Function call failed: ${this.lastError}`;
      return 0;
    }
  }

  async #sendToDeadLetters(record: IncomingRecord, reason: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(record.headers))
      headers[name] = value.toString("utf8");
    Object.assign(headers, {
      [DLQ_FIELDS.code]: "RETRIES_EXHAUSTED",
      [DLQ_FIELDS.reason]: reason.slice(0, 1_000),
      [DLQ_FIELDS.functionName]: this.#fn.name,
      [DLQ_FIELDS.source]: "log-on-failure",
      [DLQ_FIELDS.failedAt]: new Date().toISOString(),
      [DLQ_FIELDS.topic]: record.topic,
      [DLQ_FIELDS.partition]: String(record.partition),
      [DLQ_FIELDS.offset]: record.offset,
    });
    await this.#deadLetters.send([
      {
        topic: DEAD_LETTER_TOPIC,
        key: record.key?.toString("utf8") ?? "",
        value: record.value ?? Buffer.alloc(0),
        headers,
      },
    ]);
    this.deadLettered++;
    if (this.#history?.enabled) {
      const header = (name: string) => record.headers[name]?.toString("utf8") ?? "";
      this.#history.record({
        k: "effect",
        at: historyNow(),
        src: this.#fn.name,
        via: "log",
        id: header("ce_id"),
        type: header("ce_type"),
        key: record.key?.toString("utf8") ?? "",
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        outcome: "dead-lettered",
        error: reason.slice(0, 500),
      });
    }
  }
}

function toMskRecord(record: IncomingRecord): MskEventRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: record.timestamp,
    // Every topic stamps records with the broker's clock (`message.timestamp.type`).
    timestampType: "LOG_APPEND_TIME",
    ...(record.key === null ? {} : { key: record.key.toString("base64") }),
    value: (record.value ?? Buffer.alloc(0)).toString("base64"),
    headers: Object.entries(record.headers).map(([name, value]) => ({ [name]: [...value] })),
  };
}
