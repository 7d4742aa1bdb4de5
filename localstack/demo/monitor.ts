import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { fromKafkaRecord } from "../../events/codecs/kafka.ts";
import { isCriticalCommand } from "../../events/define.ts";
import { DEAD_LETTER_TOPIC, topicSpecs } from "../../events/topics.ts";
import { consumerGroupFor } from "../../functions/kit/declarations.ts";
import type { LogAdmin, LogConsumer } from "../../functions/kit/log/port.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import type { LocalSession } from "../host/session.ts";

/** How an order ended. */
export type TerminalStatus = "COMPLETED" | "CANCELLED" | "REJECTED";

/** What the monitor has seen so far. */
export interface Snapshot {
  readonly placed: number;
  readonly completed: number;
  readonly cancelled: number;
  readonly rejected: number;
  readonly eventsOnLog: number;
  readonly eventsPerSecond: number;
  /** Critical command on the log → its handler's first fact, in ms. */
  readonly fastLaneP50: number | undefined;
  readonly fastLaneP99: number | undefined;
  readonly fastLaneSamples: number;
  readonly projectorLag: number;
  readonly dlqMessages: number;
  readonly deadLetterRecords: number;
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Watches a run from the outside, as an operator would: reads every topic of the session (its own
 * consumer group), asks Kafka for the projectors' lag and SQS for the DLQ depths.
 */
export class RunMonitor {
  readonly #session: LocalSession;
  #consumer: LogConsumer | undefined;
  #running: Promise<void> | undefined;
  readonly #commandIssued = new Map<string, number>();
  readonly #latencies: number[] = [];
  #counts = { placed: 0, completed: 0, cancelled: 0, rejected: 0 };
  /** Each order's terminal status as the log tells it (the first terminal fact wins). */
  readonly #terminal = new Map<string, TerminalStatus>();
  readonly #dlqEveryMs: number;
  #dlqPolledAt = 0;
  #measureFrom = 0;
  #events = 0;
  #window: { at: number; events: number }[] = [];
  #projectorLag = 0;
  #dlq = 0;
  #deadLetters = 0;

  /**
   * @param options.dlqEveryMs how often {@link poll} asks SQS for the DLQ depths (one request
   *   per queue, 15 queues; default 5 s): on the emulator each request costs CPU the run needs.
   */
  constructor(session: LocalSession, options: { dlqEveryMs?: number } = {}) {
    this.#session = session;
    this.#dlqEveryMs = options.dlqEveryMs ?? 5_000;
  }

  #stopped = false;

  start(): void {
    this.#stopped = false;
    const topics = Object.keys(topicSpecs)
      .filter((t) => t !== DEAD_LETTER_TOPIC)
      .map((t) => this.#session.topic(t));
    this.#consumer = this.#session.log.consumer({
      groupId: `${this.#session.topicPrefix}monitor`,
      topics,
      startFrom: "earliest",
      maxBatchSize: 500,
      maxWaitMs: 100,
    });
    this.#running = this.#consumer.run(async (batch) => {
      for (const record of batch.records) {
        this.#events++;
        let event: ReturnType<typeof fromKafkaRecord>;
        try {
          event = fromKafkaRecord(record);
        } catch {
          continue;
        }
        if (isCriticalCommand(event.eventType)) {
          // From when the command reached the log (the publisher writes the log first, then the
          // bus), not from `occurredAt`, which a producer may set well before publishing.
          if (record.timestamp >= this.#measureFrom) {
            this.#commandIssued.set(event.eventId, record.timestamp);
          }
          continue;
        }
        const issued = this.#commandIssued.get(event.causationId);
        if (issued !== undefined) {
          this.#latencies.push(Math.max(0, Date.parse(event.occurredAt) - issued));
          this.#commandIssued.delete(event.causationId);
        }
        switch (event.eventType) {
          case "OrderPlaced":
            this.#counts.placed++;
            break;
          case "OrderCompleted":
            this.#counts.completed++;
            this.#ended(event.aggregateId, "COMPLETED");
            break;
          case "OrderCancelled":
            this.#counts.cancelled++;
            this.#ended(event.aggregateId, "CANCELLED");
            break;
          case "OrderRejected":
            this.#counts.rejected++;
            this.#ended(event.aggregateId, "REJECTED");
            break;
          default:
            break;
        }
      }
    });
    // A log outage stops the consumer: like the host's pollers, start again from the committed
    // offsets once the log is back (a batch read twice only skews the live figures).
    this.#running = this.#running.catch(async () => {
      if (this.#stopped) return;
      await new Promise((r) => setTimeout(r, 1_000));
      if (!this.#stopped) this.start();
    });
  }

  /**
   * Fast-lane latencies from now on count only commands that reached the log at or after
   * `epochMs` (a bench's measured window, not the seeding before it).
   */
  measureFrom(epochMs: number): void {
    this.#measureFrom = epochMs;
    this.#latencies.length = 0;
  }

  #ended(orderId: string, status: TerminalStatus): void {
    if (!this.#terminal.has(orderId)) this.#terminal.set(orderId, status);
  }

  /**
   * The terminal status of an order as its facts on the log say (`OrderCompleted`,
   * `OrderCancelled`, `OrderRejected`), or undefined while it runs. Reading the log costs the
   * stack nothing more, unlike asking a read model for every pending order.
   */
  terminalStatus(orderId: string): TerminalStatus | undefined {
    return this.#terminal.get(orderId);
  }

  /**
   * Refreshes the numbers that need a request: projector lag and the dead-letters topic every
   * time, the DLQ depths every `dlqEveryMs` (or now, with `dlqs: true`).
   */
  async poll(options: { dlqs?: boolean } = {}): Promise<void> {
    const now = Date.now();
    this.#window.push({ at: now, events: this.#events });
    this.#window = this.#window.filter((w) => now - w.at <= 5_000);
    let lag = 0;
    // Committed offsets of every group first, then the ends, once per topic (projectors share
    // topics): an end read before a commit that lands in between made the lag negative.
    const groups: { physical: string; committed: Awaited<ReturnType<LogAdmin["groupOffsets"]>> }[] =
      [];
    for (const declaration of functionDeclarations) {
      const trigger = declaration.trigger;
      if (trigger.kind !== "log" || !declaration.name.endsWith("-projector")) continue;
      for (const topic of trigger.topics) {
        const physical = this.#session.topic(topic);
        groups.push({
          physical,
          committed: await this.#session.admin.groupOffsets(
            `${this.#session.topicPrefix}${consumerGroupFor(trigger, topic)}`,
            [physical],
          ),
        });
      }
    }
    const endsOf = new Map<string, Awaited<ReturnType<LogAdmin["topicOffsets"]>>>();
    for (const { physical, committed } of groups) {
      let ends = endsOf.get(physical);
      if (ends === undefined) {
        ends = await this.#session.admin.topicOffsets(physical);
        endsOf.set(physical, ends);
      }
      for (const end of ends) {
        const at = committed.find((c) => c.partition === end.partition)?.offset;
        const behind = BigInt(end.high) - BigInt(at ?? end.low);
        lag += behind > 0n ? Number(behind) : 0;
      }
    }
    this.#projectorLag = lag;
    if (options.dlqs === true || now - this.#dlqPolledAt >= this.#dlqEveryMs) {
      this.#dlqPolledAt = now;
      await this.#pollDlqs();
    }
    const dead = await this.#session.admin.topicOffsets(this.#session.topic(DEAD_LETTER_TOPIC));
    this.#deadLetters = dead.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  }

  async #pollDlqs(): Promise<void> {
    const queues = [
      ...Object.values(this.#session.resources.commandQueues).map((q) => q.dlq.url),
      this.#session.resources.ruleTargetDlq.url,
    ];
    let dlq = 0;
    for (const url of queues) {
      const { Attributes } = await this.#session.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      dlq += Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    }
    this.#dlq = dlq;
  }

  snapshot(): Snapshot {
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const first = this.#window[0];
    const last = this.#window[this.#window.length - 1];
    const seconds = first && last ? (last.at - first.at) / 1000 : 0;
    return {
      ...this.#counts,
      eventsOnLog: this.#events,
      eventsPerSecond: seconds > 0 && first && last ? (last.events - first.events) / seconds : 0,
      fastLaneP50: percentile(sorted, 50),
      fastLaneP99: percentile(sorted, 99),
      fastLaneSamples: sorted.length,
      projectorLag: this.#projectorLag,
      dlqMessages: this.#dlq,
      deadLetterRecords: this.#deadLetters,
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#consumer?.stop();
    await this.#running?.catch(() => undefined);
  }
}
