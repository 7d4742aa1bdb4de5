import type { LogAdmin } from "./log/port.ts";

/**
 * A consumer's **watermark** on its input log, measured from the outside with a few admin calls:
 * the instant W such that every record appended to its input partitions before W has been
 * committed (so applied) by the consumer. The saga's deadline sweep judges deadlines against it
 * (`functions/domain/saga-deadlines.ts`).
 *
 * Partition p is past time D iff its committed offset ≥ the first offset whose timestamp is ≥ D
 * (`offsetsAtTime`). That holds only if timestamps grow with offsets: the topics are created with
 * `message.timestamp.type=LogAppendTime`, so a record's timestamp is the broker's clock when it
 * appended it, never a producer's. The offsets are read before `offsetsAtTime` and the probed
 * times lie before the sweep started, so a record appended after the reads cannot be missed.
 */

/** One input of a consumer: a topic and the consumer group that reads it. */
export interface ConsumerInput {
  /** The catalog's name of the topic (used in ids and log lines). */
  readonly topic: string;
  /** The topic as the broker knows it (with the session's prefix locally). */
  readonly physicalTopic: string;
  readonly groupId: string;
}

/** Where a consumer stands on one input partition. */
export interface InputPosition {
  /** `topic/partition`, with the catalog's topic name. */
  readonly id: string;
  readonly input: ConsumerInput;
  readonly partition: number;
  /** Next offset the group will read (the log's start when it never committed). */
  readonly committed: bigint;
  /** Offset the next record will get. */
  readonly end: bigint;
}

/** Whether a consumer has read everything on a partition. */
export const isCaughtUp = (position: InputPosition): boolean => position.committed >= position.end;

/**
 * The consumer's positions on every input partition: committed offsets first, then the ends, so
 * a partition that looks caught up really had nothing more before the ends were read.
 *
 * @example
 * ```ts
 * const positions = await readPositions(admin, [
 *   { topic: "payment-events", physicalTopic: "payment-events", groupId: "duplex-order-saga.payment-events" },
 * ]);
 * ```
 */
export async function readPositions(
  admin: LogAdmin,
  inputs: readonly ConsumerInput[],
): Promise<InputPosition[]> {
  const committed = await Promise.all(
    inputs.map((input) => admin.groupOffsets(input.groupId, [input.physicalTopic])),
  );
  const ends = await Promise.all(inputs.map((input) => admin.topicOffsets(input.physicalTopic)));
  return inputs.flatMap((input, i) =>
    (ends[i] ?? []).map((end) => {
      const at = committed[i]?.find((c) => c.partition === end.partition)?.offset;
      return {
        id: `${input.topic}/${end.partition}`,
        input,
        partition: end.partition,
        committed: BigInt(at ?? end.low),
        end: BigInt(end.high),
      };
    }),
  );
}

/**
 * The last of `sorted` (ascending) for which `isPast` holds, given that it holds for every time
 * before one where it holds (binary search); `undefined` if it holds for none.
 *
 * @example
 * ```ts
 * await largestPast([1, 2, 3, 4], async (t) => t <= 2); // 2
 * ```
 */
export async function largestPast(
  sorted: readonly number[],
  isPast: (time: number) => Promise<boolean>,
): Promise<number | undefined> {
  let low = 0;
  let high = sorted.length - 1;
  let found: number | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const time = sorted[middle] as number;
    if (await isPast(time)) {
      found = time;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/**
 * Times worth probing besides the deadlines themselves: 1 s, 2 s, 4 s ... about 68 minutes
 * before `latest`, so the watermark is known within a factor of two of its lag.
 */
export function probeLadder(latest: number): number[] {
  return Array.from({ length: 13 }, (_, k) => latest - 1_000 * 2 ** k);
}

/** The watermarks of one measurement (epoch ms; 0 when not even the earliest probe is past). */
export interface Watermarks {
  /** Over every input partition. */
  readonly all: number;
  /** Over the partitions not listed as stalled (the latest probe when every one is). */
  readonly live: number;
}

/**
 * The watermark, to the precision of the probed times: the latest probe that every (live) input
 * partition is past. Caught-up partitions are past every probe; only the topics of the others are
 * asked `offsetsAtTime`, once per probe the binary search visits.
 *
 * @example
 * ```ts
 * const { all } = await watermarks(admin, positions, new Set(), [...deadlines, ...probeLadder(now - 1000)]);
 * ```
 */
export async function watermarks(
  admin: LogAdmin,
  positions: readonly InputPosition[],
  stalled: ReadonlySet<string>,
  probes: readonly number[],
): Promise<Watermarks> {
  const sorted = [...new Set(probes)].sort((a, b) => a - b);
  const latest = sorted[sorted.length - 1] ?? 0;
  const behind = positions.filter((p) => !isCaughtUp(p));
  const firstAtOrAfter = new Map<number, Promise<Map<string, bigint>>>();
  const offsetsAt = (time: number) => {
    let found = firstAtOrAfter.get(time);
    if (found === undefined) {
      found = lookUp(admin, behind, time);
      firstAtOrAfter.set(time, found);
    }
    return found;
  };
  const pastOver = (partitions: readonly InputPosition[]) => async (time: number) => {
    if (partitions.length === 0) return true;
    const offsets = await offsetsAt(time);
    return partitions.every((p) => p.committed >= (offsets.get(p.id) ?? p.end));
  };
  const all = (await largestPast(sorted, pastOver(behind))) ?? 0;
  const liveOnes = behind.filter((p) => !stalled.has(p.id));
  const live =
    liveOnes.length === behind.length
      ? all
      : liveOnes.length === 0
        ? latest
        : ((await largestPast(sorted, pastOver(liveOnes))) ?? 0);
  return { all, live };
}

async function lookUp(
  admin: LogAdmin,
  positions: readonly InputPosition[],
  time: number,
): Promise<Map<string, bigint>> {
  const inputs = [...new Map(positions.map((p) => [p.input.physicalTopic, p.input])).values()];
  const found = await Promise.all(
    inputs.map(async (input) => ({
      input,
      offsets: await admin.offsetsAtTime(input.physicalTopic, time),
    })),
  );
  const byId = new Map<string, bigint>();
  for (const { input, offsets } of found) {
    for (const o of offsets) byId.set(`${input.topic}/${o.partition}`, BigInt(o.offset));
  }
  return byId;
}
