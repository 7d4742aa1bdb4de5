import { murmur2 } from "@platformatic/kafka";

/**
 * The partition a key is written to: Java's default partitioner (`murmur2(key) & 0x7fffffff`
 * modulo the partition count), which the platformatic producer uses (its compatibility
 * partitioner), as do kafkajs's and every Java client. So a reader that knows a key reads one
 * partition of a topic instead of all of them.
 *
 * @example
 * ```ts
 * partitionOfKey("o-42", 12); // the order-events partition holding every fact of order o-42
 * ```
 */
export function partitionOfKey(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitions;
}
