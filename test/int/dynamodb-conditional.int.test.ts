/**
 * Optimistic concurrency against the stack's DynamoDB (DynamoDB Local): a conditional write on
 * the aggregate's version succeeds when the version is current and fails with
 * ConditionalCheckFailedException when it is stale.
 */
import { randomUUID } from "node:crypto";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamodbClientConfig } from "../../localstack/stack/index.ts";

const dynamo = new DynamoDBClient(dynamodbClientConfig());
const tableName = `int-aggregates-${randomUUID().slice(0, 8)}`;
const aggregateId = `order-${randomUUID()}`;

/** Commits version `next` if the stored version is still `expected`. */
function commit(expected: number, next: number, status: string) {
  return dynamo.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { aggregateId: { S: aggregateId } },
      UpdateExpression: "SET #v = :next, #s = :status",
      ConditionExpression: "#v = :expected",
      ExpressionAttributeNames: { "#v": "version", "#s": "status" },
      ExpressionAttributeValues: {
        ":expected": { N: String(expected) },
        ":next": { N: String(next) },
        ":status": { S: status },
      },
    }),
  );
}

beforeAll(async () => {
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "aggregateId", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "aggregateId", AttributeType: "S" }],
    }),
  );
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName: tableName });
});

afterAll(async () => {
  await dynamo.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
  dynamo.destroy();
});

describe("DynamoDB conditional write on a version", () => {
  it("creates once, commits on the current version, and rejects a stale one", async () => {
    const create = () =>
      dynamo.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { aggregateId: { S: aggregateId }, version: { N: "1" }, status: { S: "placed" } },
          ConditionExpression: "attribute_not_exists(aggregateId)",
        }),
      );
    await create();
    await expect(create()).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    await commit(1, 2, "reserved");
    // A second writer that loaded version 1 loses.
    const stale = commit(1, 2, "cancelled");
    await expect(stale).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(stale).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });

    const stored = await dynamo.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { aggregateId: { S: aggregateId } },
        ConsistentRead: true,
      }),
    );
    expect(stored.Item?.version?.N).toBe("2");
    expect(stored.Item?.status?.S).toBe("reserved");
  });
});
