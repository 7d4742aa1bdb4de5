/**
 * Every catalog type, through the real wire: as a Kafka record through the broker (and in the MSK
 * event shape Lambda delivers), and as an EventBridge entry through the emulator's bus and a rule
 * to an SQS queue. What comes out decodes to exactly what went in.
 */
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toEventBridgeEntry } from "../../events/codecs/eventbridge.ts";
import { fromKafkaRecord, toKafkaRecord } from "../../events/codecs/kafka.ts";
import { fromMskRecord, fromSqsMessageBody, toMskRecord } from "../../events/codecs/lambda.ts";
import type { AnyEvent } from "../../events/types.ts";
import type { IncomingRecord } from "../../functions/kit/log/port.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { oneOfEachType } from "../support/samples.ts";

let session: LocalSession;
const events = oneOfEachType();

beforeAll(async () => {
  session = await LocalSession.start({ host: false });
}, 120_000);

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

describe("catalog round trip over the real wire", () => {
  it(`every one of the ${events.length} types through the Kafka broker (and the MSK record shape)`, async () => {
    await session.producer.send(events.map((e) => toKafkaRecord(e)));
    const received = new Map<string, IncomingRecord>();
    const consumer = session.log.consumer({
      groupId: `${session.topicPrefix}roundtrip`,
      topics: [...new Set(events.map((e) => session.topic(toKafkaRecord(e).topic)))],
      startFrom: "earliest",
      maxBatchSize: 100,
      maxWaitMs: 100,
    });
    const running = consumer.run(async (batch) => {
      for (const record of batch.records) {
        const id = record.headers.ce_id?.toString();
        if (id !== undefined) received.set(id, record);
      }
    });
    try {
      await session.waitFor("every record back from the broker", async () =>
        received.size >= events.length ? true : undefined,
      );
    } finally {
      await consumer.stop();
      await running.catch(() => undefined);
    }
    for (const event of events) {
      const record = received.get(event.eventId);
      expect(record, event.eventType).toBeDefined();
      if (record === undefined) continue;
      expect(record.key?.toString()).toBe(event.aggregateId);
      expect(fromKafkaRecord(record), event.eventType).toEqual(event);
      const msk = toMskRecord(
        {
          topic: record.topic,
          key: record.key,
          value: record.value ?? Buffer.alloc(0),
          headers: record.headers,
        },
        { partition: record.partition, offset: Number(record.offset), timestamp: record.timestamp },
      );
      expect(fromMskRecord(msk).event, `${event.eventType} (MSK shape)`).toEqual(event);
    }
  });

  it(`every one of the ${events.length} types through EventBridge → rule → SQS`, async () => {
    // A rule for every Duplex source on this session's bus, to a queue of the test's own (the
    // fast lane's rules only take critical commands).
    const queueName = `${session.resources.prefix}-roundtrip`;
    const { QueueUrl } = await session.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const { Attributes } = await session.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    const bus = session.resources.eventBusName;
    await session.eventBridge.send(
      new PutRuleCommand({
        Name: `${queueName}-rule`,
        EventBusName: bus,
        EventPattern: JSON.stringify({ source: [{ prefix: "duplex." }] }),
      }),
    );
    await session.eventBridge.send(
      new PutTargetsCommand({
        Rule: `${queueName}-rule`,
        EventBusName: bus,
        Targets: [{ Id: "roundtrip", Arn: Attributes?.QueueArn }],
      }),
    );
    for (let i = 0; i < events.length; i += 10) {
      const result = await session.eventBridge.send(
        new PutEventsCommand({
          Entries: events.slice(i, i + 10).map((e) => toEventBridgeEntry(e, bus)),
        }),
      );
      expect(result.FailedEntryCount).toBe(0);
    }
    const received = new Map<string, AnyEvent>();
    await session.waitFor("every event back from SQS", async () => {
      const { Messages = [] } = await session.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const message of Messages) {
        const { event } = fromSqsMessageBody(message.Body ?? "");
        received.set(event.eventId, event);
      }
      if (Messages.length > 0) {
        await session.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: Messages.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      return received.size >= events.length ? true : undefined;
    });
    for (const event of events) {
      expect(received.get(event.eventId), event.eventType).toEqual(event);
    }
  });
});
