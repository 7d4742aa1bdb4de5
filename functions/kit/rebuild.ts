import { fromKafkaRecord } from "../../events/codecs/kafka.ts";
import { EventError } from "../../events/errors.ts";
import type { LogAdmin, LogClient } from "./log/port.ts";
import type { Projection } from "./projector.ts";
import { applyProjection } from "./projector.ts";
import type { ReadModelStore } from "./read-models.ts";

/** Progress of a rebuild, reported as it goes. */
export interface RebuildProgress {
  readonly events: number;
  readonly applied: number;
  readonly remaining: number;
  readonly eventsPerSecond: number;
  readonly elapsedMs: number;
}

export interface RebuildOptions {
  readonly log: LogClient;
  readonly admin: LogAdmin;
  readonly store: ReadModelStore;
  readonly projection: Projection;
  /** Physical topics to read (the projector's topics, in the run's namespace). */
  readonly topics: readonly string[];
  /** The read-model version to write. */
  readonly version: number;
  /** A consumer group of its own, so the live projector's offsets are untouched. */
  readonly groupId: string;
  readonly onProgress?: (progress: RebuildProgress) => void;
  readonly timeoutMs?: number;
}

/**
 * Replays a projection's topics from the start of the log into one read-model version, up to the
 * end offsets seen when it started, with the same pure projection and the same per-aggregate
 * guards as the live projector.
 *
 * The version must not receive live writes while this runs: the guards apply an aggregate's
 * facts only in increasing sequence, so a newer fact written first would make the rebuild skip
 * the older ones. Use a scratch version (as the demo's check does), or hand over from a paused
 * live projector before marking the version as building (as `duplex projection rebuild` does).
 *
 * @example
 * ```ts
 * await rebuildProjection({ log, admin, store, projection: orderSummaryProjection,
 *   topics: ["order-events", ...], version: 2, groupId: "duplex-rebuild-order-summary-v2" });
 * ```
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildProgress> {
  const started = Date.now();
  const targets = new Map<string, bigint>();
  for (const topic of options.topics) {
    for (const p of await options.admin.topicOffsets(topic)) {
      if (BigInt(p.high) > BigInt(p.low)) targets.set(`${topic}:${p.partition}`, BigInt(p.high));
    }
  }
  const total = [...targets.values()].reduce((n, v) => n + Number(v), 0);
  let events = 0;
  let applied = 0;
  const progress = (): RebuildProgress => {
    const elapsedMs = Date.now() - started;
    return {
      events,
      applied,
      remaining: Math.max(0, total - events),
      eventsPerSecond: elapsedMs === 0 ? 0 : (events * 1000) / elapsedMs,
      elapsedMs,
    };
  };
  if (targets.size === 0) return progress();

  const consumer = options.log.consumer({
    groupId: options.groupId,
    topics: options.topics,
    startFrom: "earliest",
    maxBatchSize: 500,
    maxWaitMs: 100,
  });
  let finish: () => void = () => undefined;
  const caughtUp = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let lastReport = 0;
  const running = consumer.run(async (batch) => {
    for (const record of batch.records) {
      const key = `${record.topic}:${record.partition}`;
      const target = targets.get(key);
      if (target === undefined || BigInt(record.offset) >= target) continue;
      events++;
      try {
        const event = fromKafkaRecord(record);
        applied += await applyProjection(options.store, options.projection, event, [
          options.version,
        ]);
      } catch (error) {
        // The live projector dead-letters what it cannot decode; the rebuild skips the same.
        if (!(error instanceof EventError)) throw error;
      }
      if (BigInt(record.offset) + 1n >= target) targets.delete(key);
    }
    if (options.onProgress && Date.now() - lastReport > 1_000) {
      lastReport = Date.now();
      options.onProgress(progress());
    }
    if (targets.size === 0) finish();
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`rebuild of ${options.projection.name} timed out`)),
      options.timeoutMs ?? 600_000,
    ).unref(),
  );
  try {
    await Promise.race([caughtUp, running.then(() => caughtUp), timeout]);
  } finally {
    await consumer.stop();
  }
  options.onProgress?.(progress());
  return progress();
}

/** One difference between two versions of a read model. */
export interface ViewDifference {
  readonly entity: string;
  readonly kind: "missing-in-a" | "missing-in-b" | "different";
  readonly a?: unknown;
  readonly b?: unknown;
}

/**
 * Compares two versions of a read model item by item (attribute order and list order of JSON
 * values are significant; bookkeeping attributes such as `touchedAt` are ignored).
 */
export async function compareVersions(
  store: ReadModelStore,
  projection: string,
  a: number,
  b: number,
): Promise<ViewDifference[]> {
  const [left, right] = await Promise.all([store.all(projection, a), store.all(projection, b)]);
  const differences: ViewDifference[] = [];
  for (const [entity, value] of left) {
    const other = right.get(entity);
    if (other === undefined) differences.push({ entity, kind: "missing-in-b", a: value });
    else if (canonical(value) !== canonical(other)) {
      differences.push({ entity, kind: "different", a: value, b: other });
    }
  }
  for (const [entity, value] of right) {
    if (!left.has(entity)) differences.push({ entity, kind: "missing-in-a", b: value });
  }
  return differences;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([k]) => k !== "touchedAt")
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}
