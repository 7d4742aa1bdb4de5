import { randomBytes } from "node:crypto";
import type {
  LogAdmin,
  LogClient,
  LogReader,
  PartitionBatch,
  ReadOptions,
  RecordRange,
} from "./port.ts";

/**
 * A {@link LogReader} for clients without a group-less fetch (the kafkajs adapter): a short-lived
 * consumer group whose offsets are set to the ranges' starts before it joins, deleted afterwards.
 * Slower to start than a direct fetch (a group join), same records.
 *
 * @example
 * ```ts
 * const reader = groupRangeReader(client, admin, "duplex-reader");
 * await reader.read([{ topic: "order-events", partition: 3, from: 0n, to: 100n }], onBatch);
 * ```
 */
export function groupRangeReader(
  client: Pick<LogClient, "consumer">,
  admin: LogAdmin,
  groupPrefix: string,
): LogReader {
  return {
    async read(
      ranges: readonly RecordRange[],
      onBatch: (batch: PartitionBatch) => Promise<void> | void,
      options: ReadOptions = {},
    ): Promise<void> {
      const remaining = new Map<string, bigint>();
      for (const r of ranges) if (r.to > r.from) remaining.set(`${r.topic}:${r.partition}`, r.to);
      if (remaining.size === 0) return;
      const groupId = `${groupPrefix}.${randomBytes(4).toString("hex")}`;
      const live = ranges.filter((r) => r.to > r.from);
      const topics = [...new Set(live.map((r) => r.topic))];
      for (const topic of topics) {
        await admin.setGroupOffsets(
          groupId,
          topic,
          live
            .filter((r) => r.topic === topic)
            .map((r) => ({ partition: r.partition, offset: String(r.from) })),
        );
      }
      const consumer = client.consumer({
        groupId,
        topics,
        startFrom: "latest",
        maxBatchSize: 1_000,
        maxWaitMs: 50,
      });
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
        options.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      const running = consumer.run(async (batch) => {
        const key = `${batch.topic}:${batch.partition}`;
        const end = remaining.get(key);
        if (end === undefined) return;
        const records = batch.records.filter((r) => BigInt(r.offset) < end);
        if (records.length > 0) await onBatch({ ...batch, records });
        const last = batch.records[batch.records.length - 1];
        if (last !== undefined && BigInt(last.offset) + 1n >= end) remaining.delete(key);
        if (remaining.size === 0) finish();
      });
      try {
        await Promise.race([done, running.then(() => done)]);
      } finally {
        await consumer.stop().catch(() => undefined);
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    },
    close: async () => undefined,
  };
}
