import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TopicEnvironment } from "../../../events/topics.ts";
import type { TableName } from "../../../functions/kit/declarations.ts";
import type { LogAdmin, LogClient } from "../../../functions/kit/log/port.ts";
import type { ConsumerControl } from "./consumers.ts";
import type { PlatformInspector } from "./platform.ts";

/** How the CLI reaches the log: the brokers themselves, or the log-operations function. */
export type LogVia = "direct" | "function";

/**
 * What the CLI works against: a local session (`--session NAME`, the default `demo`) or a deployed
 * stack on AWS (`--stack NAME` / `--stage STAGE`). Commands see only this interface, so every
 * command behaves the same in both places.
 */
export interface Target {
  readonly kind: "local" | "aws";
  /**
   * The local session's AWS emulator (its replays and redrives differ: docs/local-parity.md);
   * `external` for an endpoint the stack does not run. Absent on AWS.
   */
  readonly emulator?: "moto" | "localstack" | "external";
  /** For people: `session demo` or `stack Duplex-prod (eu-west-1)`. */
  readonly label: string;
  /** Topic and consumer-group namespace (empty on AWS). */
  readonly topicPrefix: string;
  readonly topicEnvironment: TopicEnvironment;
  readonly resources: TargetResources;
  /** The brokers directly, or every call through the log-operations function. */
  readonly log: LogClient;
  readonly admin: LogAdmin;
  readonly sqs: SQSClient;
  readonly eventBridge: EventBridgeClient;
  readonly doc: DynamoDBDocumentClient;
  readonly cloudWatch?: CloudWatchClient;
  /** Stops and restarts the functions reading a consumer group. */
  readonly consumers: ConsumerControl;
  /** The event source mappings (or local pollers) and alarms, for `duplex doctor`. */
  readonly platform: PlatformInspector;
  /** Closes every client. */
  close(): Promise<void>;
}

export interface QueueRef {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

/** The fast-lane route of one critical command. */
export interface CommandRoute {
  readonly command: string;
  readonly queue: QueueRef;
  /** The queue's own DLQ (SQS moves a message there after `maxReceiveCount`). */
  readonly dlq: QueueRef;
  readonly ruleName: string;
  readonly ruleArn: string;
}

/** Every AWS resource name the CLI uses. */
export interface TargetResources {
  readonly region: string;
  readonly eventBusName: string;
  readonly eventBusArn: string;
  readonly archiveName: string;
  readonly archiveArn: string;
  readonly tables: Readonly<Record<TableName, string>>;
  readonly commands: Readonly<Record<string, CommandRoute>>;
  /** DLQs of the rule targets (EventBridge could not deliver to a command queue). */
  readonly ruleTargetDlqs: readonly (QueueRef & { readonly command?: string })[];
}

/** A queue ARN from its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>` or moto's). */
export function queueRefFromUrl(url: string, region: string): QueueRef {
  const parts = new URL(url).pathname.split("/").filter((p) => p !== "");
  const name = parts[parts.length - 1] ?? "";
  const account = parts[parts.length - 2] ?? "";
  return { name, url, arn: `arn:${partitionOf(region)}:sqs:${region}:${account}:${name}` };
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
