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
import { packMskEvent, transferablesOf } from "./msk-transfer.ts";

/** A partition's batch on its way through the function: what is left of it, and its retries. */
interface PartitionWork {
  readonly topic: string;
  readonly partition: number;
  records: readonly IncomingRecord[];
  attempts: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Lambda's MSK event source mapping, locally, for one (function, topic): a consumer group reads
 * the topic; each partition's records go to the function in order, in the exact MSK event shape.
 * Like Lambda ("a single payload can contain messages from multiple partitions"), one invocation
 * carries the batches of every partition that is waiting, up to the batch size, so a busy topic
 * costs few invocations; at most as many invocations run at once as the function has execution
 * environments, and what arrives meanwhile joins the next one. With a partial batch response the
 * records of a partition before its lowest failure are done and the rest is retried (up to
 * `maxRetries`, with backoff, without holding back the other partitions); once retries are spent,
 * the failing record goes to the on-failure destination (the `dead-letters` topic, with the
 * reason in `dlq_*` headers) and the rest of its partition carries on — what bisecting down to one
 * record gives on AWS. A partition's offsets are committed only once its batch is settled.
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
  readonly #ready: PartitionWork[] = [];
  readonly #retrying = new Map<PartitionWork, NodeJS.Timeout>();
  #inFlight = 0;
  batches = 0;
  invocations = 0;
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
    // Batches not handed to the function yet, or waiting to be retried, end here uncommitted:
    // the group reads them again when it starts again.
    for (const work of this.#ready.splice(0)) work.reject(stoppedError());
    for (const [work, timer] of this.#retrying) {
      clearTimeout(timer);
      work.reject(stoppedError());
    }
    this.#retrying.clear();
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

  /** Settles when every record of the batch is handled or dead-lettered (then it is committed). */
  #deliver(batch: PartitionBatch): Promise<void> {
    this.batches++;
    if (this.#stopped) return Promise.reject(stoppedError());
    return new Promise<void>((resolve, reject) => {
      this.#ready.push({
        topic: batch.topic,
        partition: batch.partition,
        records: batch.records,
        attempts: 0,
        resolve,
        reject,
      });
      this.#dispatch();
    });
  }

  /** Starts invocations while environments allow, each with every waiting partition that fits. */
  #dispatch(): void {
    while (!this.#stopped && this.#ready.length > 0 && this.#inFlight < this.#fn.maxConcurrency) {
      const works: PartitionWork[] = [];
      let size = 0;
      for (let next = this.#ready[0]; next !== undefined; next = this.#ready[0]) {
        if (works.length > 0 && size + next.records.length > this.#trigger.batchSize) break;
        works.push(next);
        size += next.records.length;
        this.#ready.shift();
      }
      this.#inFlight++;
      void this.#invoke(works).finally(() => {
        this.#inFlight--;
        this.#dispatch();
      });
    }
  }

  async #invoke(works: readonly PartitionWork[]): Promise<void> {
    this.invocations++;
    const failedAt = await this.#failures(works);
    await Promise.all(works.map((work, i) => this.#settle(work, failedAt[i] ?? 0)));
  }

  /** Per work, the index of its first failed record, or -1 when all of them succeeded. */
  async #failures(works: readonly PartitionWork[]): Promise<number[]> {
    const packed = packMskEvent(works, {
      eventSourceArn: this.#eventSourceArn,
      bootstrapServers: "local",
    });
    try {
      const response = (await this.#fn.invoke(packed, { transfer: transferablesOf(packed) })) as
        | { batchItemFailures?: { itemIdentifier: string }[] }
        | undefined;
      const failures = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      if (failures.size === 0) {
        this.lastProcessingResult = "OK";
        return works.map(() => -1);
      }
      this.lastError = `batch item failures reported by ${this.#fn.name}`;
      this.lastProcessingResult = `PROBLEM: ${this.lastError}`;
      const ids = works.map((w) => w.records.map((r) => `${r.topic}-${r.partition}-${r.offset}`));
      const known = new Set(ids.flat());
      // As Lambda does, a failure naming no record of the batch fails the whole batch.
      if ([...failures].some((id) => !known.has(id))) {
        this.lastError = `${this.#fn.name} reported failures that name no record of the batch`;
        return works.map(() => 0);
      }
      return ids.map((list) => list.findIndex((id) => failures.has(id)));
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.lastProcessingResult = `PROBLEM: Function call failed: ${this.lastError}`;
      return works.map(() => 0);
    }
  }

  async #settle(work: PartitionWork, failedAt: number): Promise<void> {
    if (failedAt === -1) {
      this.records += work.records.length;
      work.resolve();
      return;
    }
    this.records += failedAt;
    work.records = work.records.slice(failedAt);
    work.attempts++;
    if (work.attempts <= this.#trigger.maxRetries) {
      const timer = setTimeout(
        () => {
          this.#retrying.delete(work);
          this.#requeue(work);
        },
        Math.min(2_000, 100 * 2 ** work.attempts),
      );
      this.#retrying.set(work, timer);
      return;
    }
    const [poison, ...rest] = work.records;
    try {
      if (poison !== undefined) await this.#sendToDeadLetters(poison, this.lastError ?? "failed");
    } catch (error) {
      work.reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    work.records = rest;
    work.attempts = 0;
    if (rest.length === 0) work.resolve();
    else this.#requeue(work);
  }

  #requeue(work: PartitionWork): void {
    if (this.#stopped) {
      work.reject(stoppedError());
      return;
    }
    this.#ready.push(work);
    this.#dispatch();
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

/** Not committed: the group re-reads these records when it starts again. */
function stoppedError(): Error {
  return new Error("stopped with records in flight");
}
