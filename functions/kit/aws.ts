import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { meterCalls } from "./call-meter.ts";

/**
 * AWS SDK clients, one of each per execution environment. Endpoint, region and credentials come
 * from the standard AWS environment (`AWS_ENDPOINT_URL` locally), so the same code talks to AWS
 * or to the emulator.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let eventBridge: EventBridgeClient | undefined;
let sqs: SQSClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  if (dynamo === undefined) {
    const client = new DynamoDBClient({ maxAttempts: 5 });
    meterCalls(client.middlewareStack as never, "DynamoDB");
    dynamo = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }
  return dynamo;
}

export function eventBridgeClient(): EventBridgeClient {
  if (eventBridge === undefined) {
    eventBridge = new EventBridgeClient({ maxAttempts: 3 });
    meterCalls(eventBridge.middlewareStack as never, "EventBridge");
  }
  return eventBridge;
}

export function sqsClient(): SQSClient {
  if (sqs === undefined) {
    sqs = new SQSClient({ maxAttempts: 5 });
    meterCalls(sqs.middlewareStack as never, "SQS");
  }
  return sqs;
}
