import { toEventBridgeEntry, toEventBridgeEvent } from "../../events/codecs/eventbridge.ts";
import { toKafkaRecord } from "../../events/codecs/kafka.ts";
import type { MskEventRecord } from "../../events/codecs/lambda.ts";
import { toMskRecord } from "../../events/codecs/lambda.ts";
import type { EventEnvelope } from "../../events/envelope.ts";

/**
 * Record factories for tests (the Powertools habit): the exact shapes Lambda delivers, built from
 * catalog events, so handler tests don't hand-write AWS JSON.
 */

/** The EventBridge event a rule delivers for an event (optionally as part of a replay). */
export function eventBridgeEventFor(
  event: EventEnvelope,
  options: { replayName?: string; account?: string; region?: string } = {},
): Record<string, unknown> {
  return toEventBridgeEvent(toEventBridgeEntry(event, "duplex-fast-lane"), {
    id: crypto.randomUUID(),
    account: options.account ?? "123456789012",
    region: options.region ?? "us-east-1",
    ...(options.replayName === undefined ? {} : { replayName: options.replayName }),
  });
}

let messageCounter = 0;

/** An SQS record as the SQS event source mapping delivers it, carrying `body`. */
export function sqsRecordWithBody(body: string, queueName = "duplex-test-queue") {
  messageCounter += 1;
  const messageId = `00000000-0000-4000-8000-${String(messageCounter).padStart(12, "0")}`;
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queueName}`,
    awsRegion: "us-east-1",
  };
}

/** An SQS record carrying the EventBridge event of a catalog event. */
export function sqsRecordFor(event: EventEnvelope, options: { replayName?: string } = {}) {
  return sqsRecordWithBody(JSON.stringify(eventBridgeEventFor(event, options)));
}

/** An SQS event (batch) of catalog events. */
export function sqsEventFor(events: readonly EventEnvelope[]) {
  return { Records: events.map((e) => sqsRecordFor(e)) };
}

/** An MSK event record of a catalog event at a position. */
export function mskRecordFor(event: EventEnvelope, partition = 0, offset = 0): MskEventRecord {
  return toMskRecord(toKafkaRecord(event), { partition, offset, timestamp: Date.now() });
}

/** An MSK event (as Lambda's MSK event source mapping delivers it) of records. */
export function mskEventFor(records: readonly MskEventRecord[]) {
  const grouped: Record<string, MskEventRecord[]> = {};
  for (const record of records) {
    const key = `${record.topic}-${record.partition}`;
    grouped[key] ??= [];
    grouped[key].push(record);
  }
  return {
    eventSource: "aws:kafka" as const,
    eventSourceArn: "arn:aws:kafka:us-east-1:123456789012:cluster/duplex/abc",
    bootstrapServers: "127.0.0.1:9092",
    records: grouped,
  };
}
