import type { MskEventRecord } from "../../events/codecs/lambda.ts";

/**
 * Partial batch responses for MSK event records: Powertools' batch utility for TypeScript has no
 * Kafka processor, so this is the small equivalent. Lambda's Kafka event source mapping (with
 * `ReportBatchItemFailures`) takes `{ batchItemFailures: [{ itemIdentifier }] }` where the
 * identifier is `<topic>-<partition>-<offset>` and, per partition, resumes from the lowest failed
 * offset.
 *
 * Order per partition matters (it is order per aggregate), so records of one partition run one
 * after another and the first failure stops that partition: the failed record and every later one
 * of the partition are reported, none of them is attempted. Partitions run concurrently.
 */
export interface MskBatchEvent {
  readonly records: Readonly<Record<string, readonly MskEventRecord[]>>;
}

export interface KafkaBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** The identifier Lambda expects for a Kafka record. */
export function kafkaItemIdentifier(
  record: Pick<MskEventRecord, "topic" | "partition" | "offset">,
) {
  return `${record.topic}-${record.partition}-${record.offset}`;
}

/**
 * Runs `handle` over every record, partition by partition, and reports failures.
 *
 * @example
 * ```ts
 * const response = await processKafkaBatch(event, async (record) => { ... });
 * // { batchItemFailures: [{ itemIdentifier: "order-events-3-42" }, ...] }
 * ```
 */
export async function processKafkaBatch(
  event: MskBatchEvent,
  handle: (record: MskEventRecord) => Promise<void>,
  onFailure?: (record: MskEventRecord, error: unknown) => void,
): Promise<KafkaBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    Object.values(event.records).map(async (records) => {
      const ordered = [...records].sort((a, b) => a.offset - b.offset);
      for (const [index, record] of ordered.entries()) {
        try {
          await handle(record);
        } catch (error) {
          onFailure?.(record, error);
          for (const rest of ordered.slice(index)) {
            failures.push({ itemIdentifier: kafkaItemIdentifier(rest) });
          }
          return;
        }
      }
    }),
  );
  return { batchItemFailures: failures };
}
