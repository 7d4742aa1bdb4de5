import { partitionOfKey } from "../log/partitioner.ts";
import type { ReadModelStore } from "../read-models.ts";
import type { LogAccess } from "./access.ts";
import type { PartitionRange } from "./reader.ts";

/**
 * Finding an aggregate's records without reading whole topics, with what the log and the read
 * models already hold:
 *
 * - the key: every event is keyed by its aggregate id, and the producer's partitioner is Java's
 *   murmur2, so an aggregate's records of a topic are all in one known partition;
 * - time: `offsetsAtTime` turns a time into an offset per partition (records carry their event's
 *   time), so a time window is an offset range;
 * - the read models: the order summary knows when an order was placed and when its last fact
 *   happened, the customer's orders when a customer registered. A read model that lags or is
 *   missing only widens the window back to the defaults, so the answer never depends on it.
 */

/** A time window of the log, in epoch milliseconds (either end open). */
export interface LogWindow {
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
}

/** Slack around times taken from events or read models (producers' clocks differ a little). */
export const TIME_SLACK_MS = 5_000;

/**
 * The ranges of `topics` that can hold records keyed `key` within the window: one partition per
 * topic (every partition for topics not keyed by aggregate, such as the dead letters).
 */
export async function keyRanges(
  target: LogAccess,
  topics: readonly string[],
  key: string,
  window: LogWindow,
  allPartitions: ReadonlySet<string> = new Set(),
): Promise<PartitionRange[]> {
  const ranges: PartitionRange[] = [];
  await Promise.all(
    topics.map(async (logical) => {
      const topic = `${target.topicPrefix}${logical}`;
      const offsets = await target.admin.topicOffsets(topic);
      if (offsets.length === 0) return;
      const wanted = allPartitions.has(logical)
        ? offsets.map((o) => o.partition)
        : [partitionOfKey(key, offsets.length)];
      const [froms, tos] = await Promise.all([
        window.fromMs === undefined ? undefined : target.admin.offsetsAtTime(topic, window.fromMs),
        window.toMs === undefined ? undefined : target.admin.offsetsAtTime(topic, window.toMs),
      ]);
      for (const p of offsets) {
        if (!wanted.includes(p.partition)) continue;
        const low = BigInt(p.low);
        const from = BigInt(froms?.find((f) => f.partition === p.partition)?.offset ?? p.low);
        const to = BigInt(tos?.find((t) => t.partition === p.partition)?.offset ?? p.high);
        ranges.push({ topic, partition: p.partition, from: from < low ? low : from, to });
      }
    }),
  );
  return ranges;
}

/** What the read models know of an aggregate's life on the log. */
export interface Lifetime {
  /** When its first fact happened. */
  readonly firstFactMs?: number | undefined;
  /** When its last projected fact happened, if the aggregate has ended (a terminal order). */
  readonly endedMs?: number | undefined;
}

/**
 * What the read models know of an aggregate's facts: an order (and its reservation, payment and
 * delivery, keyed by the order id) from the order summary, a customer from the customer's
 * orders. `{}` when they know nothing (then callers read the whole default window).
 */
export async function aggregateLifetime(
  store: ReadModelStore | undefined,
  aggregateType: string,
  id: string,
): Promise<Lifetime> {
  if (store === undefined) return {};
  try {
    if (["Order", "Reservation", "Payment", "Delivery"].includes(aggregateType)) {
      const items = await store.items("order-summary", id);
      const view = items.find((i) => i.at === undefined);
      const times = items
        .map((i) => (typeof i.at === "string" ? Date.parse(i.at) : Number.NaN))
        .filter((t) => Number.isFinite(t));
      const placedAt = typeof view?.placedAt === "string" ? Date.parse(view.placedAt) : undefined;
      const terminal = ["COMPLETED", "CANCELLED", "REJECTED"].includes(String(view?.status));
      return {
        firstFactMs: placedAt ?? (times.length > 0 ? Math.min(...times) : undefined),
        endedMs: terminal && times.length > 0 ? Math.max(...times) : undefined,
      };
    }
    if (aggregateType === "Customer") {
      const registeredAt = (await store.get("customer-orders", id))?.registeredAt;
      return typeof registeredAt === "string" ? { firstFactMs: Date.parse(registeredAt) } : {};
    }
  } catch {
    // No read models here (or not readable): the defaults are always right, only slower.
  }
  return {};
}

/** The narrower of two windows. */
export function narrow(a: LogWindow, b: LogWindow): LogWindow {
  const max = (x?: number, y?: number) =>
    x === undefined ? y : y === undefined ? x : Math.max(x, y);
  const min = (x?: number, y?: number) =>
    x === undefined ? y : y === undefined ? x : Math.min(x, y);
  return { fromMs: max(a.fromMs, b.fromMs), toMs: min(a.toMs, b.toMs) };
}
