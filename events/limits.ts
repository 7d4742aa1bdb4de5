/**
 * Payload limits per lane, with where each number comes from.
 *
 * - EventBridge: PutEvents accepts at most 10 entries per call (API reference, PutEvents,
 *   `Entries` array size 1..10). An entry's size is Time (14 bytes if set) + the UTF-8 bytes of
 *   Source, DetailType, Detail and each Resource ("Calculating Amazon EventBridge PutEvents event
 *   entry size", EventBridge User Guide, docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 *   The maximum rose from 256 KB to 1 MB on 2026-01-29 for EventBridge events, SQS messages and
 *   asynchronous Lambda invocations (AWS Compute Blog, "More room to build: serverless services now
 *   support payloads up to 1 MB", aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb).
 * - SQS: maximum message size 1 MiB (1,048,576 bytes) since the same change ("Amazon SQS increases
 *   maximum message payload size to 1 MiB").
 * - Kafka / MSK: the broker's default `message.max.bytes` is 1,048,588 bytes (a record batch), the
 *   MSK default configuration keeps it.
 *
 * The fast lane carries an entry through EventBridge and then, wrapped in the EventBridge event JSON
 * (id, account, region, time, resources, ... about 300 bytes), as an SQS message body. The budget for
 * an entry is therefore the smaller limit minus that wrapper, rounded down to leave headroom. "1 MB"
 * is read as 1,000,000 bytes (the smaller reading) until AWS documents the exact byte count.
 */

/** Entries per PutEvents call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** EventBridge event size limit, read conservatively as 1,000,000 bytes. */
export const EVENTBRIDGE_MAX_EVENT_BYTES = 1_000_000;

/** SQS message size limit: 1 MiB. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** What the EventBridge event wrapper adds around an entry's fields, with headroom. */
export const EVENTBRIDGE_WRAPPER_RESERVE_BYTES = 2_048;

/** Largest PutEvents entry (as AWS computes entry size) the fast lane accepts. */
export const FAST_LANE_MAX_ENTRY_BYTES =
  Math.min(EVENTBRIDGE_MAX_EVENT_BYTES, SQS_MAX_MESSAGE_BYTES) - EVENTBRIDGE_WRAPPER_RESERVE_BYTES;

/** Kafka's default `message.max.bytes` (also MSK's default). */
export const KAFKA_MESSAGE_MAX_BYTES = 1_048_588;

/**
 * Largest log record (key + value + headers) the log lane accepts. A record batch carries about
 * 70 bytes of framing plus per-record overhead, so 1,000,000 bytes stays under the broker's limit.
 */
export const LOG_LANE_MAX_RECORD_BYTES = 1_000_000;

/**
 * Digits of a fact's `sequence` on the wire: `ce_sequence` is zero-padded to this width so that
 * its text sorts like its number (CloudEvents sequence extension). 15 digits are exact in a double.
 */
export const SEQUENCE_DIGITS = 15;

/** The largest `sequence` an envelope may carry (fits {@link SEQUENCE_DIGITS} digits). */
export const MAX_SEQUENCE = 10 ** SEQUENCE_DIGITS - 1;
