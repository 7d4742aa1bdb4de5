/**
 * Pins down how the emulator (moto 5.2.5) differs from AWS where Duplex relies on the behaviour.
 * Each test is one row of docs/local-parity.md: if a moto upgrade changes a behaviour, the test
 * fails and the row must be revisited. Skipped when AWS_ENDPOINT_URL points at another emulator.
 */
import { randomUUID } from "node:crypto";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DeleteArchiveCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeArchiveCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  StartReplayCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isManagedAwsEndpoint } from "../../localstack/stack/endpoints.ts";
import { awsClientConfig, readDuplexEnv } from "../../localstack/stack/index.ts";

const env = readDuplexEnv();
const isMoto = isManagedAwsEndpoint(env.awsEndpointUrl, env.motoPort);
const config = awsClientConfig();
const events = new EventBridgeClient(config);
const sqs = new SQSClient({ ...config, maxAttempts: 1 });
const dynamo = new DynamoDBClient(config);
const s = randomUUID().slice(0, 8);
const bus = `parity-bus-${s}`;
const cleanups: (() => Promise<unknown>)[] = [];

async function queue(name: string, attributes?: Record<string, string>) {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
    .QueueUrl as string;
  cleanups.push(() => sqs.send(new DeleteQueueCommand({ QueueUrl: url })));
  const arn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))
  ).Attributes?.QueueArn as string;
  return { url, arn };
}

async function rule(name: string, pattern: object, state: "ENABLED" | "DISABLED" = "ENABLED") {
  await events.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: bus,
      EventPattern: JSON.stringify(pattern),
      State: state,
    }),
  );
  cleanups.push(async () => {
    const targets = await events.send(
      new ListTargetsByRuleCommand({ Rule: name, EventBusName: bus }),
    );
    const ids = (targets.Targets ?? []).map((t) => t.Id as string);
    if (ids.length)
      await events.send(new RemoveTargetsCommand({ Rule: name, EventBusName: bus, Ids: ids }));
    await events.send(new DeleteRuleCommand({ Name: name, EventBusName: bus }));
  });
}

function entry(detailType: string, detail: object = { s }): PutEventsRequestEntry {
  return {
    EventBusName: bus,
    Source: "duplex.parity",
    DetailType: detailType,
    Detail: JSON.stringify(detail),
  };
}

/** Messages in the queue right now (no wait: moto delivers synchronously). */
async function drain(url: string): Promise<Record<string, unknown>[]> {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? "null") as Record<string, unknown>);
}

describe.skipIf(!isMoto)("emulator parity (moto 5.2.5): behaviours that differ from AWS", () => {
  let busArn = "";

  beforeAll(async () => {
    busArn = (await events.send(new CreateEventBusCommand({ Name: bus }))).EventBusArn as string;
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await events.send(new DeleteEventBusCommand({ Name: bus })).catch(() => {});
    events.destroy();
    sqs.destroy();
    dynamo.destroy();
  });

  it("delivers synchronously, without a queue policy, even for a DISABLED rule, ignoring Input", async () => {
    const q = await queue(`parity-sync-${s}`); // no policy allowing events.amazonaws.com
    await rule(`parity-disabled-${s}`, { "detail-type": ["SyncRequested"] }, "DISABLED");
    await events.send(
      new PutTargetsCommand({
        Rule: `parity-disabled-${s}`,
        EventBusName: bus,
        Targets: [{ Id: "q", Arn: q.arn, Input: JSON.stringify({ constant: true }) }],
      }),
    );
    await events.send(new PutEventsCommand({ Entries: [entry("SyncRequested")] }));
    const got = await drain(q.url); // no wait at all
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ "detail-type": "SyncRequested", detail: { s } }); // not { constant: true }
  });

  it("stores a target's DeadLetterConfig/RetryPolicy but never uses them: a failed delivery fails PutEvents", async () => {
    await rule(`parity-dlq-${s}`, { "detail-type": ["DlqRequested"] });
    const dlq = await queue(`parity-target-dlq-${s}`);
    await events.send(
      new PutTargetsCommand({
        Rule: `parity-dlq-${s}`,
        EventBusName: bus,
        Targets: [
          {
            Id: "missing",
            Arn: `arn:aws:sqs:us-east-1:123456789012:parity-missing-${s}`,
            DeadLetterConfig: { Arn: dlq.arn },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          },
        ],
      }),
    );
    const listed = await events.send(
      new ListTargetsByRuleCommand({ Rule: `parity-dlq-${s}`, EventBusName: bus }),
    );
    expect(listed.Targets?.[0]?.DeadLetterConfig?.Arn).toBe(dlq.arn);
    await expect(
      events.send(new PutEventsCommand({ Entries: [entry("DlqRequested")] })),
    ).rejects.toMatchObject({
      name: "QueueDoesNotExist",
    });
    expect(await drain(dlq.url)).toEqual([]);
    await events.send(
      new RemoveTargetsCommand({ Rule: `parity-dlq-${s}`, EventBusName: bus, Ids: ["missing"] }),
    );
  });

  it("accepts a PutEvents entry over 1 MB (no size limit)", async () => {
    const big = entry("BigEvent", { blob: "x".repeat(1_100_000) });
    const out = await events.send(new PutEventsCommand({ Entries: [big] }));
    expect(out.FailedEntryCount).toBe(0);
  });

  it("drops an event for a FIFO queue without content-based deduplication, reporting success", async () => {
    const fifo = await queue(`parity-${s}.fifo`, { FifoQueue: "true" });
    await rule(`parity-fifo-${s}`, { "detail-type": ["FifoRequested"] });
    await events.send(
      new PutTargetsCommand({
        Rule: `parity-fifo-${s}`,
        EventBusName: bus,
        Targets: [{ Id: "fifo", Arn: fifo.arn, SqsParameters: { MessageGroupId: "g" } }],
      }),
    );
    const out = await events.send(new PutEventsCommand({ Entries: [entry("FifoRequested")] }));
    expect(out.FailedEntryCount).toBe(0);
    expect(await drain(fifo.url)).toEqual([]);
  });

  it("reports archive EventCount at once, SizeBytes not as event bytes, and replays the whole archive whatever the window", async () => {
    const archive = `parity-archive-${s}`;
    const archiveArn = (
      await events.send(
        new CreateArchiveCommand({
          ArchiveName: archive,
          EventSourceArn: busArn,
          EventPattern: JSON.stringify({ "detail-type": ["ArchivedRequested"] }),
        }),
      )
    ).ArchiveArn as string;
    cleanups.push(() => events.send(new DeleteArchiveCommand({ ArchiveName: archive })));
    const q = await queue(`parity-replay-${s}`);
    await rule(`parity-replay-${s}`, { "detail-type": ["ArchivedRequested"] });
    await events.send(
      new PutTargetsCommand({
        Rule: `parity-replay-${s}`,
        EventBusName: bus,
        Targets: [{ Id: "q", Arn: q.arn }],
      }),
    );
    const payload = { blob: "y".repeat(10_000) };
    await events.send(
      new PutEventsCommand({
        Entries: [entry("ArchivedRequested", payload), entry("ArchivedRequested", payload)],
      }),
    );
    expect(await drain(q.url)).toHaveLength(2);
    const described = await events.send(new DescribeArchiveCommand({ ArchiveName: archive }));
    expect(described.EventCount).toBe(2);
    expect(described.SizeBytes).toBeLessThan(20_000); // two 10 KB events, yet a few dozen bytes

    // A window entirely in 2020: AWS would replay nothing.
    await events.send(
      new StartReplayCommand({
        ReplayName: `parity-replay-${s}`,
        EventSourceArn: archiveArn,
        EventStartTime: new Date("2020-01-01T00:00:00Z"),
        EventEndTime: new Date("2020-01-02T00:00:00Z"),
        Destination: { Arn: busArn },
      }),
    );
    const replayed = await drain(q.url);
    expect(replayed).toHaveLength(2);
    expect(replayed[0]?.["replay-name"]).toBe(`parity-replay-${s}`);
    // Replayed events are not archived again (same as AWS).
    expect(
      (await events.send(new DescribeArchiveCommand({ ArchiveName: archive }))).EventCount,
    ).toBe(2);
  });

  it("does not implement StartMessageMoveTask (SQS DLQ redrive API)", async () => {
    const dlq = await queue(`parity-redrive-dlq-${s}`);
    const source = await queue(`parity-redrive-src-${s}`, {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    const attempt = sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn }),
    );
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
  });

  it("never expires items by TTL", async () => {
    const table = `parity-ttl-${s}`;
    await dynamo.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      }),
    );
    cleanups.push(() => dynamo.send(new DeleteTableCommand({ TableName: table })));
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" },
      }),
    );
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600;
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: "k" }, expiresAt: { N: String(anHourAgo) } },
      }),
    );
    const item = await dynamo.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: "k" } } }),
    );
    expect(item.Item).toBeDefined(); // AWS would delete it (typically within days) and filter nothing: see doc
  });
});

describe.skipIf(!isMoto)("emulator parity (moto 5.2.5): limits that match AWS", () => {
  const sqsLocal = new SQSClient({ ...config, maxAttempts: 1 });
  const ebLocal = new EventBridgeClient(config);
  afterAll(() => {
    sqsLocal.destroy();
    ebLocal.destroy();
  });

  it("rejects PutEvents with more than 10 entries", async () => {
    const entries = Array.from({ length: 11 }, () => ({
      Source: "duplex.parity",
      DetailType: "X",
      Detail: "{}",
    }));
    await expect(ebLocal.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
      name: "ValidationException",
    });
  });

  it("accepts an SQS message of 1 MiB and rejects one byte more", async () => {
    const url = (await sqsLocal.send(new CreateQueueCommand({ QueueName: `parity-size-${s}` })))
      .QueueUrl as string;
    try {
      await sqsLocal.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: "z".repeat(1_048_576) }),
      );
      await expect(
        sqsLocal.send(
          new SendMessageCommand({ QueueUrl: url, MessageBody: "z".repeat(1_048_577) }),
        ),
      ).rejects.toMatchObject({ name: expect.stringMatching(/InvalidParameterValue/) });
    } finally {
      await sqsLocal.send(new DeleteQueueCommand({ QueueUrl: url }));
    }
  });
});
