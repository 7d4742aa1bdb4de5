import { CfnOutput } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { DuplexTables } from "./data.ts";
import type { EventLog } from "./event-log.ts";
import type { FastLane } from "./fast-lane.ts";
import type { DuplexFunctions } from "./functions.ts";
import { OUTPUT_KEY } from "./output-keys.ts";

/**
 * The stack's CloudFormation outputs: the names the operators' CLI (`duplex`, see
 * `bin/cli/target/outputs.ts`, the contract) and people read after a deployment. Keys are built
 * here with the same rules as the contract; a test checks the two agree.
 */

/** What the outputs describe. */
export interface StackOutputSources {
  readonly eventLog: EventLog;
  readonly fastLane: FastLane;
  readonly tables: DuplexTables;
  readonly functions: DuplexFunctions;
  readonly alarmTopicArn: string;
  readonly dashboardName: string;
  /** URL of the HTTP API (command and query API). */
  readonly apiUrl: string;
  /** Prefix every alarm name of the stage starts with, and how many there are. */
  readonly alarms: { readonly namePrefix: string; readonly count: number };
}

/**
 * Adds every output to a stack.
 *
 * @example
 * ```ts
 * addStackOutputs(this, { eventLog, fastLane, tables, functions, alarmTopicArn, dashboardName,
 *   alarms: { namePrefix: "duplex-dev-", count: 120 } });
 * ```
 */
export function addStackOutputs(scope: Construct, sources: StackOutputSources): void {
  const out = (key: string, value: string, description: string) =>
    new CfnOutput(scope, key, { value, description });
  const { fastLane, eventLog } = sources;
  out(OUTPUT_KEY.eventBusName, fastLane.bus.eventBusName, "The fast-lane event bus");
  out(OUTPUT_KEY.eventBusArn, fastLane.bus.eventBusArn, "The fast-lane event bus");
  out(OUTPUT_KEY.archiveName, fastLane.archive.archiveName, "The bus's archive (replays)");
  out(OUTPUT_KEY.archiveArn, fastLane.archive.archiveArn, "The bus's archive (replays)");
  out(OUTPUT_KEY.busDeadLetterQueueUrl, fastLane.busDeadLetterQueue.queueUrl, "The bus's own DLQ");
  out(
    OUTPUT_KEY.kafkaBootstrapBrokers,
    eventLog.bootstrapBrokers,
    "MSK bootstrap brokers (SASL/IAM)",
  );
  out(OUTPUT_KEY.clusterArn, eventLog.clusterArn, "The MSK cluster");
  out(OUTPUT_KEY.alarmTopicArn, sources.alarmTopicArn, "Subscribe to receive the alarms");
  out(OUTPUT_KEY.dashboardName, sources.dashboardName, "The CloudWatch dashboard");
  out(OUTPUT_KEY.apiUrl, sources.apiUrl, "The HTTP API: POST /commands/{type}, GET queries");
  out(OUTPUT_KEY.alarmNamePrefix, sources.alarms.namePrefix, "Every alarm name starts with it");
  out(OUTPUT_KEY.alarmCount, String(sources.alarms.count), "How many alarms the stage has");
  for (const [name, table] of sources.tables.all()) {
    out(OUTPUT_KEY.table(name), table.tableName, `DynamoDB table ${name}`);
  }
  for (const channel of fastLane.allChannels()) {
    const c = channel.command;
    out(OUTPUT_KEY.commandQueueUrl(c), channel.queue.queueUrl, `Fast-lane queue of ${c}`);
    out(
      OUTPUT_KEY.commandDeadLetterQueueUrl(c),
      channel.deadLetterQueue.queueUrl,
      `DLQ of ${c}'s queue`,
    );
    out(
      OUTPUT_KEY.commandDeliveryDeadLetterQueueUrl(c),
      channel.deliveryDeadLetterQueue.queueUrl,
      `DLQ of ${c}'s rule target`,
    );
    out(OUTPUT_KEY.commandRuleArn(c), channel.rule.ruleArn, `Rule routing ${c} to its queue`);
  }
  for (const fn of sources.functions.all()) {
    out(
      OUTPUT_KEY.functionName(fn.declaration.name),
      fn.function.functionName,
      `Function ${fn.declaration.name}`,
    );
  }
}
