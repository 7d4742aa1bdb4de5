import type { TableName } from "../functions/kit/declarations.ts";

/**
 * The CloudFormation output keys of a Duplex stack: the contract between the stack (`outputs.ts`
 * emits them) and the operators' CLI (`bin/cli/target/`, which reads them). Pure, so the CLI can
 * import it without loading the CDK.
 */

/**
 * Pascal case of a kebab-case name, as output keys spell it.
 *
 * @example
 * ```ts
 * pascalCase("read-models"); // "ReadModels"
 * ```
 */
export function pascalCase(kebab: string): string {
  return kebab
    .split(/[-_.]/)
    .filter((part) => part !== "")
    .map((part) => `${part[0]?.toUpperCase() ?? ""}${part.slice(1)}`)
    .join("");
}

/** Output keys, by what they name. */
export const OUTPUT_KEY = {
  eventBusName: "EventBusName",
  eventBusArn: "EventBusArn",
  archiveName: "ArchiveName",
  archiveArn: "ArchiveArn",
  kafkaBootstrapBrokers: "KafkaBootstrapBrokers",
  busDeadLetterQueueUrl: "BusDeadLetterQueueUrl",
  clusterArn: "ClusterArn",
  alarmTopicArn: "AlarmTopicArn",
  dashboardName: "DashboardName",
  apiUrl: "ApiUrl",
  alarmNamePrefix: "AlarmNamePrefix",
  alarmCount: "AlarmCount",
  gameDayTemplate: (experiment: string) => `GameDay${experiment}TemplateId`,
  table: (table: TableName) => `Table${pascalCase(table)}Name`,
  commandQueueUrl: (command: string) => `${command}QueueUrl`,
  commandDeadLetterQueueUrl: (command: string) => `${command}DeadLetterQueueUrl`,
  commandDeliveryDeadLetterQueueUrl: (command: string) => `${command}DeliveryDeadLetterQueueUrl`,
  commandRuleArn: (command: string) => `${command}RuleArn`,
  functionName: (name: string) => `Function${pascalCase(name)}Name`,
} as const;
