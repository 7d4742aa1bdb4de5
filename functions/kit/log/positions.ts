import type { LogPosition } from "./port.ts";

/** The first offset the broker gave one partition's records in a produce request. */
export interface PartitionBase {
  readonly topic: string;
  readonly partition: number;
  readonly baseOffset: bigint | string | number;
}

/**
 * The position of each sent record, in the order they were sent: a produce request appends the
 * records of one partition as one batch, in order, from the base offset the broker returns for
 * that partition. A record whose partition is unknown (-1), or whose partition has no base in the
 * answer, gets offset `-1`: the history checker then looks it up by event id instead.
 *
 * @example
 * ```ts
 * positionsOf([{ topic: "t", partition: 0 }, { topic: "t", partition: 0 }],
 *   [{ topic: "t", partition: 0, baseOffset: 41n }]);
 * // [{ topic: "t", partition: 0, offset: "41" }, { topic: "t", partition: 0, offset: "42" }]
 * ```
 */
export function positionsOf(
  sent: readonly { readonly topic: string; readonly partition: number }[],
  bases: readonly PartitionBase[],
): LogPosition[] {
  const next = new Map<string, bigint>();
  for (const base of bases) {
    next.set(`${base.topic}\u0000${base.partition}`, BigInt(base.baseOffset));
  }
  return sent.map(({ topic, partition }) => {
    const key = `${topic}\u0000${partition}`;
    const offset = next.get(key);
    if (partition < 0 || offset === undefined) return { topic, partition, offset: "-1" };
    next.set(key, offset + 1n);
    return { topic, partition, offset: offset.toString() };
  });
}
