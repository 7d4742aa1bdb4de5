import { fromKafkaRecord } from "../../../events/codecs/kafka.ts";
import type { PartitionOffsets } from "../log/port.ts";
import type { LogAccess } from "./access.ts";
import type { DeclaredGroup } from "./groups.ts";
import { type PartitionRange, readRanges } from "./reader.ts";

/** Lag of one partition for one group. */
export interface PartitionLag {
  readonly partition: number;
  /** Committed offset (next to read), or null when the group never committed here. */
  readonly committed: string | null;
  readonly low: string;
  readonly end: string;
  readonly lag: number;
  /** When the oldest unprocessed record was written (its log timestamp), if any. */
  readonly oldestUnprocessedAt?: string;
}

export interface GroupLag {
  readonly groupId: string;
  readonly functionName: string;
  readonly topic: string;
  readonly state: string;
  readonly members: number;
  readonly lag: number;
  readonly oldestUnprocessedAt?: string;
  readonly partitions: readonly PartitionLag[];
}

/**
 * Lag of a partition: end − committed; a group that never committed starts at the start of the
 * log (TRIM_HORIZON) or at its end (LATEST), as its event source mapping would.
 */
export function partitionLag(
  offsets: PartitionOffsets,
  committed: string | null,
  startingPosition: "TRIM_HORIZON" | "LATEST",
): number {
  const end = BigInt(offsets.high);
  const from =
    committed !== null
      ? BigInt(committed)
      : startingPosition === "TRIM_HORIZON"
        ? BigInt(offsets.low)
        : end;
  return Number(end > from ? end - from : 0n);
}

/** Per group and partition: committed, end, lag and the age of the oldest unprocessed event. */
export async function measureLag(
  target: LogAccess,
  groups: readonly DeclaredGroup[],
  options: { oldest?: boolean } = {},
): Promise<GroupLag[]> {
  const prefix = target.topicPrefix;
  const offsetsByTopic = new Map<string, PartitionOffsets[]>();
  for (const topic of new Set(groups.map((g) => g.topic))) {
    offsetsByTopic.set(topic, await target.admin.topicOffsets(`${prefix}${topic}`));
  }
  const results: (Omit<GroupLag, "partitions" | "oldestUnprocessedAt"> & {
    partitions: (PartitionLag & { from: bigint })[];
  })[] = [];
  await Promise.all(
    groups.map(async (group) => {
      const physical = `${prefix}${group.groupId}`;
      const [description, committed] = await Promise.all([
        target.admin.describeGroup(physical),
        target.admin.groupOffsets(physical, [`${prefix}${group.topic}`]),
      ]);
      const partitions = (offsetsByTopic.get(group.topic) ?? []).map((offsets) => {
        const c = committed.find((o) => o.partition === offsets.partition)?.offset ?? null;
        const lag = partitionLag(offsets, c, group.trigger.startingPosition);
        return {
          partition: offsets.partition,
          committed: c,
          low: offsets.low,
          end: offsets.high,
          lag,
          from: BigInt(offsets.high) - BigInt(lag),
        };
      });
      results.push({
        groupId: physical,
        functionName: group.functionName,
        topic: `${prefix}${group.topic}`,
        state: description.state,
        members: description.members,
        lag: partitions.reduce((n, p) => n + p.lag, 0),
        partitions,
      });
    }),
  );
  const oldest = new Map<string, string>();
  if (options.oldest !== false) {
    const ranges = new Map<string, PartitionRange>();
    for (const r of results) {
      for (const p of r.partitions) {
        if (p.lag > 0) {
          const key = `${r.topic}:${p.partition}:${p.from}`;
          ranges.set(key, {
            topic: r.topic,
            partition: p.partition,
            from: p.from,
            to: p.from + 1n,
          });
        }
      }
    }
    if (ranges.size > 0) {
      // One record per lagging partition: its time is the age of the oldest unprocessed event.
      const byTopicPartition = new Map<string, PartitionRange[]>();
      for (const range of ranges.values()) {
        const key = `${range.topic}:${range.partition}`;
        byTopicPartition.set(key, [...(byTopicPartition.get(key) ?? []), range]);
      }
      // A partition can be read from one offset per pass; passes cover several groups' offsets.
      while (byTopicPartition.size > 0) {
        const pass: PartitionRange[] = [];
        for (const [key, list] of byTopicPartition) {
          const next = list.shift();
          if (next !== undefined) pass.push(next);
          if (list.length === 0) byTopicPartition.delete(key);
        }
        await readRanges({ log: target.log }, pass, (record) => {
          let at = new Date(record.timestamp).toISOString();
          try {
            at = fromKafkaRecord(record).occurredAt;
          } catch {
            // not an event of the catalog: the log timestamp it is
          }
          oldest.set(`${record.topic}:${record.partition}:${record.offset}`, at);
        });
      }
    }
  }
  return results
    .map((r) => {
      const partitions = r.partitions.map(({ from, ...p }) => {
        const at = p.lag > 0 ? oldest.get(`${r.topic}:${p.partition}:${from}`) : undefined;
        return at === undefined ? p : { ...p, oldestUnprocessedAt: at };
      });
      const ats = partitions.flatMap((p) =>
        p.oldestUnprocessedAt === undefined ? [] : [p.oldestUnprocessedAt],
      );
      const first = ats.sort()[0];
      return { ...r, partitions, ...(first === undefined ? {} : { oldestUnprocessedAt: first }) };
    })
    .sort((a, b) => a.groupId.localeCompare(b.groupId));
}
