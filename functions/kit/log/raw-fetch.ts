import {
  type Connection,
  type Consumer,
  fetchV17,
  kGetApi,
  type Reader,
  readKnownTaggedFields,
} from "@platformatic/kafka";

/**
 * Fetch (API key 1, version 17) with the partitions' record sets kept as bytes, for
 * {@link readRecordBatches} to read: `@platformatic/kafka`'s own request encoder and connection,
 * and a response parser that stops at the record set instead of decoding every record into
 * intermediate objects (measured in docs/benchmarks.md, section 8). Brokers older than Kafka 3.9
 * lack version 17; {@link supportsRawFetch} says so and the caller uses the library's fetch.
 */

/** One partition of a fetch response, its records still encoded. */
export interface RawFetchPartition {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  /** The record set's bytes (`undefined`: none). */
  readonly records: Buffer | undefined;
}

export interface RawFetchTopic {
  readonly topicId: string;
  readonly partitions: readonly RawFetchPartition[];
}

export interface RawFetchRequest {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly topics: readonly {
    readonly topicId: string;
    readonly partitions: readonly {
      readonly partition: number;
      readonly fetchOffset: bigint;
      readonly partitionMaxBytes: number;
    }[];
  }[];
}

const FETCH_API_KEY = 1;
const FETCH_VERSION = 17;
const READ_COMMITTED = 1;

type AnyConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

/** Whether the cluster speaks Fetch v17 (Kafka 3.9 and later). */
export function supportsRawFetch(consumer: AnyConsumer): Promise<boolean> {
  return new Promise((resolve) => {
    const getApi = (consumer as unknown as Record<symbol, unknown>)[kGetApi] as (
      name: string,
      callback: (error: Error | null, api?: { version: number }) => void,
    ) => void;
    getApi.call(consumer, "Fetch", (error, api) =>
      resolve(error === null && api?.version === FETCH_VERSION),
    );
  });
}

/**
 * One fetch from one broker, without a fetch session (every request names its partitions).
 *
 * @example
 * ```ts
 * const topics = await rawFetch(connection, { maxWaitMs: 100, minBytes: 1, maxBytes: 16 << 20,
 *   topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
 * ```
 */
export function rawFetch(
  connection: Connection,
  request: RawFetchRequest,
): Promise<RawFetchTopic[]> {
  return new Promise((resolve, reject) => {
    connection.send(
      FETCH_API_KEY,
      FETCH_VERSION,
      () =>
        fetchV17.createRequest(
          request.maxWaitMs,
          request.minBytes,
          request.maxBytes,
          READ_COMMITTED,
          0,
          -1,
          request.topics.map((t) => ({
            topicId: t.topicId,
            partitions: t.partitions.map((p) => ({
              partition: p.partition,
              currentLeaderEpoch: -1,
              fetchOffset: p.fetchOffset,
              lastFetchedEpoch: -1,
              partitionMaxBytes: p.partitionMaxBytes,
            })),
          })),
          [],
          "",
        ),
      parseFetchResponse as never,
      true,
      true,
      (error: Error | null, topics: unknown) => {
        if (error !== null && error !== undefined) reject(error);
        else resolve(topics as RawFetchTopic[]);
      },
    );
  });
}

/** The v17 response as the library's parser reads it, but the record sets left as bytes. */
function parseFetchResponse(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): RawFetchTopic[] {
  reader.readInt32(); // throttle time
  const errorCode = reader.readInt16();
  if (errorCode !== 0) throw new Error(`fetch failed with error code ${errorCode}`);
  reader.readInt32(); // session id
  const topics = reader.readArray((r) => {
    const topicId = r.readUUID();
    const partitions = r.readArray(
      (p) => {
        const partition = p.readInt32();
        const partitionError = p.readInt16();
        const highWatermark = p.readInt64();
        p.readInt64(); // last stable offset
        p.readInt64(); // log start offset
        p.readNullableArray((a) => {
          a.readInt64();
          a.readInt64();
          return undefined;
        });
        p.readInt32(); // preferred read replica
        let size = p.readUnsignedVarInt();
        let records: Buffer | undefined;
        if (size > 1) {
          size--;
          records = p.buffer.slice(p.position, p.position + size);
          p.skip(size);
        }
        readKnownTaggedFields(p, {});
        return { partition, errorCode: partitionError, highWatermark, records };
      },
      true,
      false,
    );
    return { topicId, partitions };
  });
  readKnownTaggedFields(reader, {});
  return topics;
}
