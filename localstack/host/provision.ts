import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
} from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { allEventDefinitions } from "../../events/registry.ts";
import type { TopicEnvironment } from "../../events/topics.ts";
import { topicsFor } from "../../events/topics.ts";
import type { CriticalCommandName } from "../../events/types.ts";
import type { TableName } from "../../functions/kit/declarations.ts";
import { physicalTopic } from "../../functions/kit/log/namespace.ts";
import type { LogAdmin } from "../../functions/kit/log/port.ts";
import { applyTopicChanges, diffTopics } from "../../functions/kit/topics-sync.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import type { AwsClientConfig } from "../stack/endpoints.ts";
import type { CommandQueue, LocalResources, QueueNames } from "./resources.ts";
import { localResourceNames } from "./resources.ts";

/**
 * Provisions the local stack from the catalog and the trigger declarations — the same sources CDK
 * reads: topics; the fast-lane bus with its archive and one rule per critical command, each to its
 * queue with a DLQ (`maxReceiveCount` from the handler's trigger); the DynamoDB tables with their
 * indexes and TTL. Idempotent: what exists is left as it is.
 */
export interface ProvisionOptions {
  readonly prefix: string;
  readonly aws: AwsClientConfig;
  /** DynamoDB's endpoint (DynamoDB Local on the local stack). */
  readonly dynamodbEndpoint?: string;
  readonly accountId: string;
  readonly admin: LogAdmin;
  readonly topicEnvironment: TopicEnvironment;
  /** Topic namespace of this run; empty for the catalog's own names. */
  readonly topicPrefix?: string;
  /** Queue visibility timeout; short locally so that retries come back quickly. */
  readonly visibilityTimeoutSeconds?: number;
}

export async function provisionLocal(options: ProvisionOptions): Promise<LocalResources> {
  const commands = allEventDefinitions()
    .filter((d) => d.critical)
    .map((d) => d.type as CriticalCommandName);
  const names = localResourceNames({
    prefix: options.prefix,
    commands,
    endpoint: options.aws.endpoint,
    region: options.aws.region,
    accountId: options.accountId,
  });

  const prefix = options.topicPrefix ?? "";
  const topics = topicsFor(options.topicEnvironment).map((t) => ({
    ...t,
    name: physicalTopic(prefix, t.name) as typeof t.name,
  }));
  const changes = (await diffTopics(options.admin, topics)).filter((c) => c.kind !== "extra");
  await applyTopicChanges(
    options.admin,
    changes.filter((c) => c.kind === "create" || c.kind === "add-partitions"),
  );

  const [queues] = await Promise.all([
    provisionFastLane(options, names),
    provisionTables(
      new DynamoDBClient({
        ...options.aws,
        endpoint: options.dynamodbEndpoint ?? options.aws.endpoint,
      }),
      names.tables,
    ),
  ]);
  return { ...names, ...queues };
}

function maxReceiveCountFor(command: string): number {
  for (const declaration of functionDeclarations) {
    const trigger = declaration.trigger;
    if (trigger.kind === "fast-lane" && (trigger.commands as readonly string[]).includes(command)) {
      return trigger.maxReceiveCount;
    }
  }
  throw new Error(`no function handles the critical command ${command}`);
}

async function provisionFastLane(
  options: ProvisionOptions,
  names: LocalResources,
): Promise<Pick<LocalResources, "commandQueues" | "ruleTargetDlq">> {
  const sqs = new SQSClient(options.aws);
  const events = new EventBridgeClient(options.aws);
  const visibility = String(options.visibilityTimeoutSeconds ?? 5);

  const createQueue = async (queue: QueueNames, attributes: Record<string, string> = {}) => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    return { name: queue.name, url: QueueUrl ?? queue.url, arn: Attributes?.QueueArn ?? queue.arn };
  };

  try {
    await events.send(new CreateEventBusCommand({ Name: names.eventBusName }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
  const busArn = `arn:aws:events:${names.region}:${names.accountId}:event-bus/${names.eventBusName}`;
  try {
    await events.send(
      new CreateArchiveCommand({
        ArchiveName: names.archiveName,
        EventSourceArn: busArn,
        RetentionDays: 7,
        Description: "Every event on the fast lane, for operator replays",
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }

  const ruleTargetDlq = await createQueue(names.ruleTargetDlq);
  const commandQueues: Record<string, CommandQueue> = {};
  for (const [command, planned] of Object.entries(names.commandQueues)) {
    const dlq = await createQueue(planned.dlq, { MessageRetentionPeriod: "1209600" });
    const queue = await createQueue(planned, {
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: maxReceiveCountFor(command),
      }),
    });
    await events.send(
      new PutRuleCommand({
        Name: planned.ruleName,
        EventBusName: names.eventBusName,
        EventPattern: JSON.stringify({ "detail-type": [command], source: [{ prefix: "duplex." }] }),
        State: "ENABLED",
        Description: `${command} → its fast-lane queue`,
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: planned.ruleName,
        EventBusName: names.eventBusName,
        Targets: [
          {
            Id: "queue",
            Arn: queue.arn,
            DeadLetterConfig: { Arn: ruleTargetDlq.arn },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
          },
        ],
      }),
    );
    commandQueues[command] = { ...planned, ...queue, dlq };
  }
  return { commandQueues, ruleTargetDlq };
}

/** Key schema and indexes of each table; CDK declares the same (see lib/data). */
const tableDefinitions: Record<
  TableName,
  {
    sortKey?: string;
    indexes?: readonly {
      name: string;
      partition: string;
      sort: string;
      projection: "KEYS_ONLY" | "ALL";
    }[];
    ttl?: string;
  }
> = {
  aggregates: {
    indexes: [
      {
        name: "outbox-pending",
        partition: "outboxShard",
        sort: "outboxPendingSince",
        projection: "KEYS_ONLY",
      },
    ],
  },
  sagas: {
    indexes: [
      {
        name: "outbox-pending",
        partition: "outboxShard",
        sort: "outboxPendingSince",
        projection: "KEYS_ONLY",
      },
      {
        name: "by-deadline",
        partition: "deadlineShard",
        sort: "deadlineAt",
        projection: "KEYS_ONLY",
      },
    ],
  },
  idempotency: { ttl: "expiration" },
  "read-models": { sortKey: "sk" },
  "command-ledger": {
    // The reconciler reads the pending command from the index: project everything.
    indexes: [{ name: "pending-by-due", partition: "dueShard", sort: "dueAt", projection: "ALL" }],
    ttl: "expiresAt",
  },
};

async function provisionTables(
  dynamo: DynamoDBClient,
  tables: Readonly<Record<TableName, string>>,
): Promise<void> {
  await Promise.all(
    (Object.keys(tableDefinitions) as TableName[]).map(async (table) => {
      const definition = tableDefinitions[table];
      const partitionKey = table === "idempotency" ? "id" : "pk";
      const attributes = new Map<string, "S">([[partitionKey, "S"]]);
      if (definition.sortKey) attributes.set(definition.sortKey, "S");
      for (const index of definition.indexes ?? []) {
        attributes.set(index.partition, "S");
        attributes.set(index.sort, "S");
      }
      try {
        await dynamo.send(
          new CreateTableCommand({
            TableName: tables[table],
            BillingMode: "PAY_PER_REQUEST",
            AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
              AttributeName,
              AttributeType,
            })),
            KeySchema: [
              { AttributeName: partitionKey, KeyType: "HASH" },
              ...(definition.sortKey
                ? [{ AttributeName: definition.sortKey, KeyType: "RANGE" as const }]
                : []),
            ],
            ...(definition.indexes
              ? {
                  GlobalSecondaryIndexes: definition.indexes.map((index) => ({
                    IndexName: index.name,
                    KeySchema: [
                      { AttributeName: index.partition, KeyType: "HASH" as const },
                      { AttributeName: index.sort, KeyType: "RANGE" as const },
                    ],
                    Projection: { ProjectionType: index.projection },
                  })),
                }
              : {}),
          }),
        );
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
        return;
      }
      await waitUntilTableExists(
        { client: dynamo, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
        { TableName: tables[table] },
      );
      if (definition.ttl) {
        await dynamo.send(
          new UpdateTimeToLiveCommand({
            TableName: tables[table],
            TimeToLiveSpecification: { AttributeName: definition.ttl, Enabled: true },
          }),
        );
      }
    }),
  );
}
