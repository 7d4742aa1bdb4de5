/**
 * Concurrent transactions against the stack's DynamoDB (DynamoDB Local), the load Duplex puts on
 * it: many `TransactWriteItems` at once on a few hot items (aggregate counters, a shared
 * summary), each guarded by a ledger item so that it applies exactly once even when retried.
 *
 * moto 5.2.5 fails this (docs/local-parity.md): its transactions are not thread-safe (HTTP 500,
 * `dictionary changed size during iteration`), and a cancelled transaction rolls its tables back
 * to a copy taken when it began, undoing what other transactions committed meanwhile.
 */
import { randomUUID } from "node:crypto";
import { Agent } from "node:http";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamodbClientConfig } from "../../localstack/stack/index.ts";

const GOOD = 240;
const DOOMED = 60;
const HOT = 3;

// One attempt per call (the test retries itself, and counts why), and enough sockets for every
// transaction to be in flight at once.
const agent = new Agent({ keepAlive: true, maxSockets: GOOD + DOOMED });
const dynamo = new DynamoDBClient({
  ...dynamodbClientConfig(),
  maxAttempts: 1,
  requestHandler: { httpAgent: agent },
});
const table = `int-tx-${randomUUID().slice(0, 8)}`;

const hotKey = (i: number) => `hot-${i % HOT}`;

/** Transaction `i`: +1 and +i on its hot counter and on the summary, once (the ledger item). */
function good(i: number): TransactWriteItem[] {
  const add = (pk: string): TransactWriteItem => ({
    Update: {
      TableName: table,
      Key: { pk: { S: pk } },
      UpdateExpression: "ADD #count :one, #sum :i",
      ExpressionAttributeNames: { "#count": "count", "#sum": "sum" },
      ExpressionAttributeValues: { ":one": { N: "1" }, ":i": { N: String(i) } },
    },
  });
  return [
    {
      Put: {
        TableName: table,
        Item: { pk: { S: `tx-${i}` } },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    },
    add(hotKey(i)),
    add("summary"),
  ];
}

/** A transaction that must be cancelled (its condition is never true) and change nothing. */
function doomed(i: number): TransactWriteItem[] {
  return [
    {
      ConditionCheck: {
        TableName: table,
        Key: { pk: { S: "never" } },
        ConditionExpression: "attribute_exists(pk)",
      },
    },
    {
      Update: {
        TableName: table,
        Key: { pk: { S: hotKey(i) } },
        UpdateExpression: "ADD #count :big",
        ExpressionAttributeNames: { "#count": "count" },
        ExpressionAttributeValues: { ":big": { N: "1000000" } },
      },
    },
  ];
}

const reasonsOf = (error: unknown) =>
  error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).map((r) => r.Code ?? "None")
    : [];

interface Tally {
  applied: number;
  alreadyApplied: number;
  conflicts: number;
  serverErrors: number;
  cancelled: number;
  other: string[];
}

/** Runs a good transaction to completion: retries conflicts and 5xx; a ledger hit means done. */
async function runGood(i: number, tally: Tally): Promise<void> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    try {
      await dynamo.send(new TransactWriteItemsCommand({ TransactItems: good(i) }));
      tally.applied++;
      return;
    } catch (error) {
      const reasons = reasonsOf(error);
      if (reasons[0] === "ConditionalCheckFailed") {
        tally.alreadyApplied++; // an earlier attempt committed, then its answer was lost
        return;
      }
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      if (reasons.includes("TransactionConflict")) tally.conflicts++;
      else if (status !== undefined && status >= 500) tally.serverErrors++;
      else {
        tally.other.push(`${(error as Error).name}: ${(error as Error).message}`);
        return;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
  tally.other.push(`transaction ${i} gave up after 20 attempts`);
}

async function runDoomed(i: number, tally: Tally): Promise<void> {
  try {
    await dynamo.send(new TransactWriteItemsCommand({ TransactItems: doomed(i) }));
    tally.other.push(`doomed transaction ${i} was applied`);
  } catch (error) {
    if (reasonsOf(error)[0] === "ConditionalCheckFailed") tally.cancelled++;
    else tally.other.push(`${(error as Error).name}: ${(error as Error).message}`);
  }
}

async function item(pk: string) {
  const out = await dynamo.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return { count: Number(out.Item?.count?.N ?? 0), sum: Number(out.Item?.sum?.N ?? 0) };
}

beforeAll(async () => {
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    }),
  );
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName: table });
});

afterAll(async () => {
  await dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
  dynamo.destroy();
  agent.destroy();
});

describe("concurrent TransactWriteItems on hot items", () => {
  it(`applies ${GOOD} concurrent transactions exactly once, and ${DOOMED} cancelled ones not at all`, async () => {
    const tally: Tally = {
      applied: 0,
      alreadyApplied: 0,
      conflicts: 0,
      serverErrors: 0,
      cancelled: 0,
      other: [],
    };
    const t0 = Date.now();
    // Every transaction in flight at once; the doomed ones interleaved with the good ones.
    await Promise.all([
      ...Array.from({ length: GOOD }, (_, i) => runGood(i, tally)),
      ...Array.from({ length: DOOMED }, (_, i) => runDoomed(i, tally)),
    ]);
    const ms = Date.now() - t0;
    console.log(
      `${GOOD + DOOMED} concurrent transactions in ${ms} ms: ${JSON.stringify({ ...tally, other: tally.other.length })}`,
    );

    expect(tally.other).toEqual([]);
    expect(tally.serverErrors).toBe(0); // moto answers HTTP 500 here
    expect(tally.applied + tally.alreadyApplied).toBe(GOOD);
    expect(tally.cancelled).toBe(DOOMED);

    // Exactly once: one ledger item per good transaction, and the counters add up.
    const ledger = await dynamo.send(
      new ScanCommand({
        TableName: table,
        ConsistentRead: true,
        FilterExpression: "begins_with(pk, :tx)",
        ExpressionAttributeValues: { ":tx": { S: "tx-" } },
      }),
    );
    expect(ledger.LastEvaluatedKey).toBeUndefined();
    expect(ledger.Count).toBe(GOOD);
    const indices = Array.from({ length: GOOD }, (_, i) => i);
    for (let h = 0; h < HOT; h++) {
      const mine = indices.filter((i) => i % HOT === h);
      expect(await item(`hot-${h}`)).toEqual({
        count: mine.length,
        sum: mine.reduce((a, b) => a + b, 0),
      });
    }
    expect(await item("summary")).toEqual({
      count: GOOD,
      sum: indices.reduce((a, b) => a + b, 0),
    });
  });
});
