/**
 * The fast lane against the AWS emulator (moto by default, LocalStack with
 * `DUPLEX_EMULATOR=localstack`, or any endpoint set by AWS_ENDPOINT_URL): a rule matching a
 * `detail-type` suffix of `Requested` delivers to an SQS queue, a non-matching event does not
 * arrive, and the bus's archive records the events and replays them (not on LocalStack 4.14.0,
 * whose replays fail: the test says so in its name).
 */
import { randomUUID } from "node:crypto";
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DeleteArchiveCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  StartReplayCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsClientConfig } from "../../localstack/stack/index.ts";
import { LOCALSTACK, unlessLocalStack } from "../support/emulator.ts";

const config = awsClientConfig();
const events = new EventBridgeClient(config);
const sqs = new SQSClient(config);
const suffix = randomUUID().slice(0, 8);
const busName = `int-bus-${suffix}`;
const ruleName = `int-requested-${suffix}`;
const archiveName = `int-archive-${suffix}`;
const queueName = `int-fast-lane-${suffix}`;
const source = "duplex.int-test";

let busArn = "";
let archiveArn = "";
let queueUrl = "";
const startedAt = new Date();

interface Delivered {
  id: string;
  "detail-type": string;
  source: string;
  detail: { orderId: string };
  "replay-name"?: string;
}

/** Receives until `count` messages arrived or `ms` passed; deletes what it receives. */
async function receive(count: number, ms: number): Promise<Delivered[]> {
  const got: Delivered[] = [];
  const deadline = Date.now() + ms;
  while (got.length < count && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    for (const message of Messages as Message[]) {
      got.push(JSON.parse(message.Body ?? "{}") as Delivered);
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
  return got;
}

beforeAll(async () => {
  busArn = (await events.send(new CreateEventBusCommand({ Name: busName }))).EventBusArn ?? "";
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl ?? "";
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const queueArn = attributes.Attributes?.QueueArn ?? "";
  const ruleArn = (
    await events.send(
      new PutRuleCommand({
        Name: ruleName,
        EventBusName: busName,
        EventPattern: JSON.stringify({ "detail-type": [{ suffix: "Requested" }] }),
      }),
    )
  ).RuleArn;
  // As on AWS: the queue must allow the rule to send to it (moto does not check; see parity doc).
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: queueArn,
              Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
            },
          ],
        }),
      },
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: ruleName,
      EventBusName: busName,
      Targets: [{ Id: "fast-lane-queue", Arn: queueArn }],
    }),
  );
  archiveArn =
    (
      await events.send(
        new CreateArchiveCommand({ ArchiveName: archiveName, EventSourceArn: busArn }),
      )
    ).ArchiveArn ?? "";
});

afterAll(async () => {
  await events
    .send(
      new RemoveTargetsCommand({ Rule: ruleName, EventBusName: busName, Ids: ["fast-lane-queue"] }),
    )
    .catch(() => {});
  await events
    .send(new DeleteRuleCommand({ Name: ruleName, EventBusName: busName }))
    .catch(() => {});
  await events.send(new DeleteArchiveCommand({ ArchiveName: archiveName })).catch(() => {});
  await events.send(new DeleteEventBusCommand({ Name: busName })).catch(() => {});
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
  events.destroy();
  sqs.destroy();
});

describe("EventBridge fast lane (emulator)", () => {
  it("delivers a *Requested command to the queue and not a non-matching event", async () => {
    const orderId = `o-${suffix}`;
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: source,
            DetailType: "PlaceOrderRequested",
            Detail: JSON.stringify({ orderId }),
          },
          {
            EventBusName: busName,
            Source: source,
            DetailType: "OrderPlaced",
            Detail: JSON.stringify({ orderId }),
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);

    const first = await receive(1, 10_000);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      "detail-type": "PlaceOrderRequested",
      source,
      detail: { orderId },
    });
    // Nothing else arrives: the OrderPlaced event does not match the rule.
    expect(await receive(1, 3000)).toEqual([]);
  });

  it("records the bus's events in the archive", async () => {
    let eventCount = 0;
    const deadline = Date.now() + 10_000;
    while (eventCount < 2 && Date.now() < deadline) {
      const archive = await events.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
      expect(archive.State).toBe("ENABLED");
      eventCount = archive.EventCount ?? 0;
      if (eventCount < 2) await new Promise((r) => setTimeout(r, 250));
    }
    // Both events were put on the bus; the archive (no pattern) records both.
    expect(eventCount).toBe(2);
  });

  const replay = unlessLocalStack(LOCALSTACK.replay);
  it.skipIf(replay.skip)(
    `replays the archived command through the rule${replay.note}`,
    async () => {
      const replayName = `int-replay-${suffix}`;
      await events.send(
        new StartReplayCommand({
          ReplayName: replayName,
          EventSourceArn: archiveArn,
          EventStartTime: new Date(startedAt.getTime() - 60_000),
          EventEndTime: new Date(Date.now() + 60_000),
          Destination: { Arn: busArn },
        }),
      );
      let state: string | undefined;
      const replayDeadline = Date.now() + 30_000;
      while (state !== "COMPLETED" && Date.now() < replayDeadline) {
        state = (await events.send(new DescribeReplayCommand({ ReplayName: replayName }))).State;
        expect(state).not.toBe("FAILED");
        if (state !== "COMPLETED") await new Promise((r) => setTimeout(r, 250));
      }
      expect(state).toBe("COMPLETED");

      // Only the matching command comes back, marked as a replay.
      const replayed = await receive(1, 10_000);
      expect(replayed).toHaveLength(1);
      expect(replayed[0]).toMatchObject({
        "detail-type": "PlaceOrderRequested",
        "replay-name": replayName,
      });
      expect(await receive(1, 2000)).toEqual([]);
    },
  );
});
