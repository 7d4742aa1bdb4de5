import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * AWS SDK clients, one of each per execution environment. Endpoint, region and credentials come
 * from the standard AWS environment (`AWS_ENDPOINT_URL` locally), so the same code talks to AWS
 * or to the emulator.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let eventBridge: EventBridgeClient | undefined;
let sqs: SQSClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 5 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

export function eventBridgeClient(): EventBridgeClient {
  eventBridge ??= new EventBridgeClient({ maxAttempts: 3 });
  return eventBridge;
}

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({ maxAttempts: 5 });
  return sqs;
}
