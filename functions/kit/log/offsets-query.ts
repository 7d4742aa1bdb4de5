import type { LogAdmin, OffsetsQuery, TopicPartitionOffsets } from "./port.ts";

/**
 * {@link LogAdmin.listOffsets} from a client's per-topic calls (`topicOffsets`, `offsetsAtTime`),
 * all in flight at once: for clients that cannot ask for many topics in one request (kafkajs,
 * the operators' function). Topics without partitions are left out.
 *
 * @example
 * ```ts
 * const offsets = await listOffsetsPerTopic(admin, { topics: ["demo.order-events"], timesMs: [Date.now() - 60_000] });
 * ```
 */
export async function listOffsetsPerTopic(
  admin: Pick<LogAdmin, "listTopics" | "topicOffsets" | "offsetsAtTime">,
  query: OffsetsQuery,
): Promise<TopicPartitionOffsets[]> {
  const times = query.timesMs ?? [];
  const existing = new Set(await admin.listTopics());
  const perTopic = await Promise.all(
    query.topics
      .filter((topic) => existing.has(topic))
      .map(async (topic) => {
        const [ends, ...atTimes] = await Promise.all([
          admin.topicOffsets(topic),
          ...times.map((t) => admin.offsetsAtTime(topic, t)),
        ]);
        if (ends.length === 0) return [];
        const wanted = new Set(
          query.partitions?.(topic, ends.length) ?? ends.map((e) => e.partition),
        );
        return ends
          .filter((e) => wanted.has(e.partition))
          .map((e) => ({
            topic,
            partition: e.partition,
            low: e.low,
            high: e.high,
            atTimes: atTimes.map(
              (found) => found.find((f) => f.partition === e.partition)?.offset ?? e.high,
            ),
          }));
      }),
  );
  return perTopic.flat();
}
