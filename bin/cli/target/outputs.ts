import type { TableName } from "../../../functions/kit/declarations.ts";
import { OUTPUT_KEY } from "../../../lib/output-keys.ts";

/**
 * THE contract between the CLI and the deployed stack: the CloudFormation output keys the CLI
 * reads (`aws cloudformation describe-stacks --stack-name Duplex-<stage>`). The keys are defined
 * once, in `lib/output-keys.ts`, which the stack emits from; nothing else in the CLI names an
 * output. `requiredOutputKeys` lists them all for a catalog.
 *
 * | key | value |
 * |---|---|
 * | `EventBusName`, `EventBusArn` | the fast-lane bus |
 * | `ArchiveName`, `ArchiveArn` | the bus's archive (replays) |
 * | `KafkaBootstrapBrokers` | MSK bootstrap brokers for SASL/IAM (`b-1...:9098,...`) |
 * | `Table<Name>Name` | each DynamoDB table: `TableAggregatesName`, `TableSagasName`, `TableIdempotencyName`, `TableReadModelsName`, `TableCommandLedgerName` |
 * | `<Command>QueueUrl` | each critical command's fast-lane queue, e.g. `ProcessPaymentRequestedQueueUrl` |
 * | `<Command>DeadLetterQueueUrl` | that queue's DLQ (its redrive policy's target) |
 * | `<Command>DeliveryDeadLetterQueueUrl` | the DLQ of the rule's target (EventBridge could not deliver) |
 * | `<Command>RuleArn` | the rule routing that command to its queue (replay `FilterArns`) |
 * | `BusDeadLetterQueueUrl` | the bus's own DLQ, if the stack has one (optional) |
 * | `Function<Name>Name` | each function's physical name, e.g. `FunctionOrderSummaryProjectorName` (event source mappings; `FunctionLogOperationsName` is how the CLI reaches Kafka) |
 * | `AlarmNamePrefix`, `AlarmCount` | the stage's alarms, for `duplex doctor` (optional) |
 */
export const OUTPUT_KEYS = OUTPUT_KEY;

/** Output keys that may be absent. */
export const OPTIONAL_OUTPUT_KEYS: ReadonlySet<string> = new Set([
  OUTPUT_KEYS.busDeadLetterQueueUrl,
  OUTPUT_KEYS.alarmNamePrefix,
  OUTPUT_KEYS.alarmCount,
]);

/** Every key the CLI reads, for the given critical commands, tables and log-triggered functions. */
export function requiredOutputKeys(options: {
  commands: readonly string[];
  tables: readonly TableName[];
  functions: readonly string[];
}): string[] {
  return [
    OUTPUT_KEYS.eventBusName,
    OUTPUT_KEYS.eventBusArn,
    OUTPUT_KEYS.archiveName,
    OUTPUT_KEYS.archiveArn,
    OUTPUT_KEYS.kafkaBootstrapBrokers,
    ...options.tables.map(OUTPUT_KEYS.table),
    ...options.commands.flatMap((c) => [
      OUTPUT_KEYS.commandQueueUrl(c),
      OUTPUT_KEYS.commandDeadLetterQueueUrl(c),
      OUTPUT_KEYS.commandDeliveryDeadLetterQueueUrl(c),
      OUTPUT_KEYS.commandRuleArn(c),
    ]),
    ...options.functions.map(OUTPUT_KEYS.functionName),
  ];
}
