import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { TopicName } from "../events/topics.ts";
import type { LogInspectNeed, ResourceNeed, TableName } from "../functions/kit/declarations.ts";
import type { KafkaArns } from "./kafka-arns.ts";

/**
 * Least-privilege IAM, generated from what a function declares it touches. Every statement names
 * exact actions (no `*` in any action of a function's role) on exact resources (table and index
 * ARNs, the bus ARN, queue ARNs, the cluster ARN and topic/group ARNs). Pure: no constructs are
 * created here.
 */

/** The resolved resources a declaration's needs refer to. */
export interface PermissionTargets {
  /** ARN of a table by name. */
  readonly tableArn: (table: TableName) => string;
  /** Exact ARNs of a table's indexes. */
  readonly indexArns: (table: TableName) => readonly string[];
  /** Key of the tables. */
  readonly dataKeyArn: string;
  readonly busArn: string;
  /** Every fast-lane command queue. */
  readonly fastLaneQueueArns: readonly string[];
  /** Key of the queues. */
  readonly messagingKeyArn: string;
  readonly kafka: KafkaArns;
  /** Every declared consumer group (`<function>.<topic>`): the ones an operator may move. */
  readonly consumerGroups: readonly string[];
}

const TABLE_READ = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:ConditionCheckItem",
  "dynamodb:DescribeTable",
];
const TABLE_WRITE = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
];
const INDEX_READ = ["dynamodb:Query", "dynamodb:Scan"];
/** What DynamoDB needs from the caller to use a customer-managed table key. */
const TABLE_KEY_READ = ["kms:Decrypt", "kms:DescribeKey"];
const TABLE_KEY_WRITE = [
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
];

/** Kafka data-plane actions by access (MSK IAM access control). */
export const KAFKA_ACTIONS = {
  connect: ["kafka-cluster:Connect"],
  produceCluster: ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
  produceTopic: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
  consumeCluster: ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"],
  consumeTopic: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
  consumeGroup: ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
  adminCluster: [
    "kafka-cluster:Connect",
    "kafka-cluster:DescribeCluster",
    "kafka-cluster:DescribeClusterDynamicConfiguration",
  ],
  adminTopic: [
    "kafka-cluster:CreateTopic",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:AlterTopic",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
    "kafka-cluster:AlterTopicDynamicConfiguration",
    "kafka-cluster:DeleteTopic",
  ],
  /** Reading topics by position, without a consumer group (operators' queries). */
  inspectTopic: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
  /** What an operator does to a topic besides administering it: read any record, append. */
  operateTopic: ["kafka-cluster:ReadData", "kafka-cluster:WriteData"],
  /** What an operator does to a declared consumer group: read, move and delete its offsets. */
  operateGroup: [
    "kafka-cluster:DescribeGroup",
    "kafka-cluster:AlterGroup",
    "kafka-cluster:DeleteGroup",
  ],
  /** Committed offsets and members of a group (lag). */
  observeGroup: ["kafka-cluster:DescribeGroup"],
  /** Reading consumer positions: metadata and ListOffsets need DescribeTopic, OffsetFetch DescribeGroup. */
  positionsTopic: ["kafka-cluster:DescribeTopic"],
  positionsGroup: ["kafka-cluster:DescribeGroup"],
  /** What Lambda's MSK event source mapping calls on the control plane. */
  mappingControlPlane: ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"],
} as const;

/**
 * IAM statements for one declared need.
 *
 * @example
 * ```ts
 * statementsForNeed({ kind: "table", table: "aggregates", access: "read" }, targets);
 * // [dynamodb:GetItem… on the table, dynamodb:Query/Scan on its indexes, kms:Decrypt… on the key]
 * ```
 */
export function statementsForNeed(
  need: ResourceNeed,
  targets: PermissionTargets,
): PolicyStatement[] {
  switch (need.kind) {
    case "table": {
      const write = need.access === "read-write";
      const statements = [
        new PolicyStatement({
          actions: write ? [...TABLE_READ, ...TABLE_WRITE] : TABLE_READ,
          resources: [targets.tableArn(need.table)],
        }),
        new PolicyStatement({
          actions: write ? [...TABLE_KEY_READ, ...TABLE_KEY_WRITE] : TABLE_KEY_READ,
          resources: [targets.dataKeyArn],
        }),
      ];
      const indexes = targets.indexArns(need.table);
      if (indexes.length > 0) {
        statements.push(new PolicyStatement({ actions: INDEX_READ, resources: [...indexes] }));
      }
      return statements;
    }
    case "bus":
      return [new PolicyStatement({ actions: ["events:PutEvents"], resources: [targets.busArn] })];
    case "fast-lane-queues":
      return [
        new PolicyStatement({
          actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"],
          resources: [...targets.fastLaneQueueArns],
        }),
        new PolicyStatement({
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: [targets.messagingKeyArn],
        }),
      ];
    case "log":
      if (need.access === "inspect") return inspectStatements(need, targets.kafka);
      if (need.access === "positions") {
        return positionStatements(need.topics, need.consumerGroups, targets.kafka);
      }
      return kafkaStatements(need.access, need.topics, targets.kafka, targets.consumerGroups);
    case "metrics":
      // Metrics leave as CloudWatch embedded metric format on stdout (Powertools Metrics):
      // CloudWatch Logs extracts them, no API call and no permission needed.
      return [];
  }
}

/**
 * Statements for producing to, consuming from (by hand) or administering topics.
 *
 * @example
 * ```ts
 * kafkaStatements("produce", ["order-events"], log.arns);
 * // kafka-cluster:Connect + WriteDataIdempotently on the cluster, DescribeTopic + WriteData on the topic
 * ```
 */
export function kafkaStatements(
  access: "produce" | "consume" | "admin" | "operate",
  topics: readonly TopicName[],
  kafka: KafkaArns,
  consumerGroups: readonly string[] = [],
): PolicyStatement[] {
  const topicArns = topics.map((t) => kafka.topic(t));
  switch (access) {
    case "produce":
      return [
        new PolicyStatement({
          actions: [...KAFKA_ACTIONS.produceCluster],
          resources: [kafka.cluster],
        }),
        new PolicyStatement({ actions: [...KAFKA_ACTIONS.produceTopic], resources: topicArns }),
      ];
    case "consume":
      // Consumption through an event source mapping is granted per mapping (with its group),
      // see mappingStatements; a declared consume need only opens the connection.
      return [
        new PolicyStatement({
          actions: [...KAFKA_ACTIONS.consumeCluster],
          resources: [kafka.cluster],
        }),
      ];
    case "admin":
      return [
        new PolicyStatement({
          actions: [...KAFKA_ACTIONS.adminCluster],
          resources: [kafka.cluster],
        }),
        new PolicyStatement({ actions: [...KAFKA_ACTIONS.adminTopic], resources: topicArns }),
      ];
    case "operate":
      // The CLI reads the log without consumer groups; the only groups an operator touches are
      // the declared ones (replay, rebuild, lag), so they are named exactly.
      return [
        new PolicyStatement({
          actions: [...KAFKA_ACTIONS.adminCluster, "kafka-cluster:WriteDataIdempotently"],
          resources: [kafka.cluster],
        }),
        new PolicyStatement({
          actions: [...KAFKA_ACTIONS.adminTopic, ...KAFKA_ACTIONS.operateTopic],
          resources: topicArns,
        }),
        new PolicyStatement({
          actions: [...KAFKA_ACTIONS.operateGroup],
          resources: consumerGroups.map((g) => kafka.group(g)),
        }),
      ];
  }
}

/**
 * Statements for reading the log as an operator: read the topics by position (no consumer group)
 * and describe the observed groups' offsets.
 *
 * @example
 * ```ts
 * inspectStatements({ kind: "log", access: "inspect", topics: ["order-events"],
 *   observedGroups: ["duplex-order-summary-projector.order-events"] }, arns);
 * ```
 */
export function inspectStatements(need: LogInspectNeed, kafka: KafkaArns): PolicyStatement[] {
  const statements = [
    new PolicyStatement({ actions: [...KAFKA_ACTIONS.connect], resources: [kafka.cluster] }),
    new PolicyStatement({
      actions: [...KAFKA_ACTIONS.inspectTopic],
      resources: need.topics.map((t) => kafka.topic(t)),
    }),
  ];
  if (need.observedGroups.length > 0) {
    statements.push(
      new PolicyStatement({
        actions: [...KAFKA_ACTIONS.observeGroup],
        resources: need.observedGroups.map((g) => kafka.group(g)),
      }),
    );
  }
  return statements;
}

/**
 * Statements for reading where consumer groups stand on topics (committed offsets, ends, offsets
 * by time): describe only, nothing that reads records or moves a group.
 *
 * @example
 * ```ts
 * positionStatements(["payment-events"], ["duplex-order-saga.payment-events"], log.arns);
 * ```
 */
export function positionStatements(
  topics: readonly TopicName[],
  consumerGroups: readonly string[],
  kafka: KafkaArns,
): PolicyStatement[] {
  return [
    new PolicyStatement({ actions: [...KAFKA_ACTIONS.connect], resources: [kafka.cluster] }),
    new PolicyStatement({
      actions: [...KAFKA_ACTIONS.positionsTopic],
      resources: topics.map((t) => kafka.topic(t)),
    }),
    new PolicyStatement({
      actions: [...KAFKA_ACTIONS.positionsGroup],
      resources: consumerGroups.map((g) => kafka.group(g)),
    }),
  ];
}

/**
 * What Lambda's MSK event source mapping needs from the function's role for one (topic, group)
 * pair, including writing failed records to the on-failure topic.
 *
 * @example
 * ```ts
 * mappingStatements(kafka, "order-events", "duplex-order-saga.order-events", "dead-letters");
 * ```
 */
export function mappingStatements(
  kafka: KafkaArns,
  topic: TopicName,
  consumerGroup: string,
  onFailureTopic: TopicName,
): PolicyStatement[] {
  return [
    new PolicyStatement({
      actions: [...KAFKA_ACTIONS.mappingControlPlane, ...KAFKA_ACTIONS.consumeCluster],
      resources: [kafka.cluster],
    }),
    new PolicyStatement({
      actions: [...KAFKA_ACTIONS.consumeTopic],
      resources: [kafka.topic(topic)],
    }),
    new PolicyStatement({
      actions: [...KAFKA_ACTIONS.consumeGroup],
      resources: [kafka.group(consumerGroup)],
    }),
    new PolicyStatement({
      actions: [...KAFKA_ACTIONS.produceTopic],
      resources: [kafka.topic(onFailureTopic)],
    }),
  ];
}
