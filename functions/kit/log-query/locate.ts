import { partitionOfKey } from "../log/partitioner.ts";
import type { LogAdmin } from "../log/port.ts";
import type { ReadModelStore } from "../read-models.ts";
import type { LogAccess } from "./access.ts";
import { type PartitionRange, windowRanges } from "./reader.ts";

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
 * topic (every partition for topics not keyed by aggregate, such as the dead letters), all found
 * with one offsets lookup for every topic.
 */
export async function keyRanges(
  target: LogAccess,
  topics: readonly string[],
  key: string,
  window: LogWindow,
  allPartitions: ReadonlySet<string> = new Set(),
): Promise<PartitionRange[]> {
  return windowRanges(
    target.admin,
    topics.map((t) => `${target.topicPrefix}${t}`),
    window,
    keyPartitions(target.topicPrefix, key, allPartitions),
  );
}

/**
 * The partitions that can hold `key` in a topic of `count` partitions (the key's own, murmur2
 * as the producers partition; all of them for `allPartitions`), for {@link LogAdmin.listOffsets}.
 */
export function keyPartitions(
  topicPrefix: string,
  key: string,
  allPartitions: ReadonlySet<string> = new Set(),
): (topic: string, count: number) => number[] {
  return (topic, count) =>
    allPartitions.has(topic.slice(topicPrefix.length))
      ? Array.from({ length: count }, (_, i) => i)
      : [partitionOfKey(key, count)];
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
