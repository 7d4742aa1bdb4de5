import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { topicSpecs } from "../../../events/topics.ts";
import { DEADLINE_SHARDS } from "../../../functions/order-saga/saga-store.ts";
import { destinations } from "../dlq/destinations.ts";
import { summarize } from "../dlq/settle.ts";
import { projectionNames, readModelStore, rebuildRecords } from "../projection/projections.ts";
import type { Target } from "../target/target.ts";

/**
 * What the console shows, read from the same sources as the CLI (the target's log, tables and
 * queues, through the same modules as `duplex lag`, `dlq`, `trace` and `projection`).
 */

/** Events per second per topic, from the growth of the topics' end offsets between samples. */
export class ThroughputSampler {
  readonly #target: Target;
  readonly #samples: { at: number; totals: Map<string, bigint> }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(target: Target) {
    this.#target = target;
  }

  /** Samples every `intervalMs` (and once now). */
  start(intervalMs = 2_000): void {
    const tick = () => {
      this.#running ??= this.#sample().finally(() => {
        this.#running = undefined;
      });
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #sample(): Promise<void> {
    const totals = new Map<string, bigint>();
    for (const topic of Object.keys(topicSpecs)) {
      try {
        const offsets = await this.#target.admin.topicOffsets(
          `${this.#target.topicPrefix}${topic}`,
        );
        totals.set(
          topic,
          offsets.reduce((n, p) => n + BigInt(p.high), 0n),
        );
      } catch {
        // a topic that does not exist (yet) has no rate
      }
    }
    this.#samples.push({ at: Date.now(), totals });
    while (this.#samples.length > 30) this.#samples.shift();
  }

  /** Rate over the last ~10 s per topic, and the records on each topic. */
  rates(): { topic: string; eventsPerSecond: number; records: string }[] {
    const last = this.#samples[this.#samples.length - 1];
    if (last === undefined) return [];
    const base =
      this.#samples.find((s) => last.at - s.at <= 10_000 && s !== last) ?? this.#samples[0];
    return [...last.totals].map(([topic, total]) => {
      const before = base?.totals.get(topic);
      const seconds = base === undefined || base === last ? 0 : (last.at - base.at) / 1000;
      const rate = before === undefined || seconds === 0 ? 0 : Number(total - before) / seconds;
      return { topic, eventsPerSecond: Math.round(rate * 10) / 10, records: total.toString() };
    });
  }
}

/** A saga that has not ended: its step (status), deadline and flow. */
export interface SagaInFlight {
  readonly orderId: string;
  readonly status: string;
  readonly deadlineAt: string;
  readonly deadlineKind?: string;
  readonly correlationId?: string;
  readonly reissues?: number;
}

/** Sagas with a running deadline (the saga table's `by-deadline` index), soonest first. */
export async function sagasInFlight(target: Target, limit = 100): Promise<SagaInFlight[]> {
  const found: SagaInFlight[] = [];
  for (const shard of DEADLINE_SHARDS) {
    const page = await target.doc.send(
      new QueryCommand({
        TableName: target.resources.tables.sagas,
        IndexName: "by-deadline",
        KeyConditionExpression: "deadlineShard = :s",
        ExpressionAttributeValues: { ":s": shard },
        Limit: limit,
      }),
    );
    for (const item of page.Items ?? []) {
      const state = (item.state ?? {}) as Record<string, unknown>;
      found.push({
        orderId: String(state.orderId ?? String(item.pk).replace(/^OrderFulfilment#/, "")),
        status: String(item.status ?? state.status ?? "?"),
        deadlineAt: String(item.deadlineAt),
        ...(typeof state.deadlineKind === "string" ? { deadlineKind: state.deadlineKind } : {}),
        ...(typeof item.correlationId === "string" ? { correlationId: item.correlationId } : {}),
        ...(typeof state.reissues === "number" ? { reissues: state.reissues } : {}),
      });
    }
  }
  return found.sort((a, b) => a.deadlineAt.localeCompare(b.deadlineAt)).slice(0, limit);
}

/** Every dead-letter destination with how many letters wait and the oldest's time. */
export async function deadLetterSummary(target: Target) {
  const rows = [];
  for (const destination of destinations(target)) {
    const { count, oldest } = await summarize(target, destination);
    rows.push({ name: destination.name, kind: destination.kind, count, oldest });
  }
  return rows;
}

/** Each projection's live and building versions and its recorded rebuilds (newest first). */
export async function rebuildProgress(target: Target) {
  const store = readModelStore(target);
  return Promise.all(
    projectionNames().map(async (name) => {
      const [pointer, records] = await Promise.all([
        store.pointer(name, true),
        rebuildRecords(target, name),
      ]);
      return {
        name,
        liveVersion: pointer.liveVersion,
        buildingVersion: pointer.buildingVersion,
        rebuilds: records.reverse().slice(0, 5),
      };
    }),
  );
}
