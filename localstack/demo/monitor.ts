import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { fromKafkaRecord } from "../../events/codecs/kafka.ts";
import { isCriticalCommand } from "../../events/define.ts";
import { DEAD_LETTER_TOPIC, topicSpecs } from "../../events/topics.ts";
import { consumerGroupFor } from "../../functions/kit/declarations.ts";
import type { LogConsumer } from "../../functions/kit/log/port.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import type { LocalSession } from "../host/session.ts";

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
  #events = 0;
  #window: { at: number; events: number }[] = [];
  #projectorLag = 0;
  #dlq = 0;
  #deadLetters = 0;

  constructor(session: LocalSession) {
    this.#session = session;
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
          this.#commandIssued.set(event.eventId, record.timestamp);
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
            break;
          case "OrderCancelled":
            this.#counts.cancelled++;
            break;
          case "OrderRejected":
            this.#counts.rejected++;
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

  /** Refreshes the numbers that need a request (lag, DLQ depth). */
  async poll(): Promise<void> {
    const now = Date.now();
    this.#window.push({ at: now, events: this.#events });
    this.#window = this.#window.filter((w) => now - w.at <= 5_000);
    let lag = 0;
    for (const declaration of functionDeclarations) {
      const trigger = declaration.trigger;
      if (trigger.kind !== "log" || !declaration.name.endsWith("-projector")) continue;
      for (const topic of trigger.topics) {
        const physical = this.#session.topic(topic);
        // Committed offsets first, then the ends: read the other way round (or at once), a
        // commit landing in between made the lag negative.
        const committed = await this.#session.admin.groupOffsets(
          `${this.#session.topicPrefix}${consumerGroupFor(trigger, topic)}`,
          [physical],
        );
        const ends = await this.#session.admin.topicOffsets(physical);
        for (const end of ends) {
          const at = committed.find((c) => c.partition === end.partition)?.offset;
          const behind = BigInt(end.high) - BigInt(at ?? end.low);
          lag += behind > 0n ? Number(behind) : 0;
        }
      }
    }
    this.#projectorLag = lag;
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
    const dead = await this.#session.admin.topicOffsets(this.#session.topic(DEAD_LETTER_TOPIC));
    this.#deadLetters = dead.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
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
