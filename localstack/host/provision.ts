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
  DescribeArchiveCommand,
  DescribeEventBusCommand,
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
import type { CommandQueue, LocalResourceNames, LocalResources, QueueNames } from "./resources.ts";
import { arnAccountAndRegion, localResourceNames } from "./resources.ts";

/**
 * Provisions the local stack from the catalog and the trigger declarations — the same sources CDK
 * reads: topics; the fast-lane bus with its archive and one rule per critical command, each to its
 * queue with a DLQ (`maxReceiveCount` from the handler's trigger); the DynamoDB tables with their
 * indexes and TTL. Idempotent: what exists is left as it is. Every ARN (and so the account) is
 * the one the emulator returns: moto's and LocalStack's accounts differ.
 */
export interface ProvisionOptions {
  readonly prefix: string;
  readonly aws: AwsClientConfig;
  /** DynamoDB's endpoint (DynamoDB Local on the local stack). */
  readonly dynamodbEndpoint?: string;
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
  const names = localResourceNames({ prefix: options.prefix, commands });

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

  const [fastLane] = await Promise.all([
    provisionFastLane(options, names),
    provisionTables(
      new DynamoDBClient({
        ...options.aws,
        endpoint: options.dynamodbEndpoint ?? options.aws.endpoint,
      }),
      names.tables,
    ),
  ]);
  return {
    prefix: names.prefix,
    eventBusName: names.eventBusName,
    archiveName: names.archiveName,
    tables: names.tables,
    ...fastLane,
  };
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
  names: LocalResourceNames,
): Promise<
  Pick<
    LocalResources,
    "region" | "accountId" | "eventBusArn" | "archiveArn" | "commandQueues" | "ruleTargetDlq"
  >
> {
  const sqs = new SQSClient(options.aws);
  const events = new EventBridgeClient(options.aws);
  const visibility = String(options.visibilityTimeoutSeconds ?? 5);

  const createQueue = async (
    name: string,
    attributes: Record<string, string> = {},
  ): Promise<QueueNames> => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    const arn = Attributes?.QueueArn;
    if (QueueUrl === undefined || arn === undefined) {
      throw new Error(`the emulator returned no URL or ARN for the queue ${name}`);
    }
    return { name, url: QueueUrl, arn };
  };

  const eventBusArn = await events
    .send(new CreateEventBusCommand({ Name: names.eventBusName }))
    .then((created) => created.EventBusArn)
    .catch(async (error: unknown) => {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
      return (await events.send(new DescribeEventBusCommand({ Name: names.eventBusName }))).Arn;
    });
  if (eventBusArn === undefined) {
    throw new Error(`the emulator returned no ARN for the event bus ${names.eventBusName}`);
  }
  const archiveArn = await events
    .send(
      new CreateArchiveCommand({
        ArchiveName: names.archiveName,
        EventSourceArn: eventBusArn,
        RetentionDays: 7,
        Description: "Every event on the fast lane, for operator replays",
      }),
    )
    .then((created) => created.ArchiveArn)
    .catch(async (error: unknown) => {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
      return (await events.send(new DescribeArchiveCommand({ ArchiveName: names.archiveName })))
        .ArchiveArn;
    });
  if (archiveArn === undefined) {
    throw new Error(`the emulator returned no ARN for the archive ${names.archiveName}`);
  }

  const ruleTargetDlq = await createQueue(names.ruleTargetDlqName);
  const commandQueues: Record<string, CommandQueue> = {};
  for (const [command, planned] of Object.entries(names.commandQueues)) {
    const dlq = await createQueue(planned.dlqName, { MessageRetentionPeriod: "1209600" });
    const queue = await createQueue(planned.name, {
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: maxReceiveCountFor(command),
      }),
    });
    const { RuleArn: ruleArn } = await events.send(
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
    if (ruleArn === undefined) {
      throw new Error(`the emulator returned no ARN for the rule ${planned.ruleName}`);
    }
    commandQueues[command] = {
      command: planned.command,
      ruleName: planned.ruleName,
      ruleArn,
      ...queue,
      dlq,
    };
  }
  return {
    ...arnAccountAndRegion(eventBusArn),
    eventBusArn,
    archiveArn,
    commandQueues,
    ruleTargetDlq,
  };
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
