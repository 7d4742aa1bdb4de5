import { ArnFormat, Aws, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

/** Properties of {@link DuplexKeys}. */
export interface DuplexKeysProps {
  /**
   * Prefix of the key aliases, e.g. `duplex-dev`; also the prefix of the alarm names allowed to
   * use the messaging key.
   */
  readonly aliasPrefix: string;
  /**
   * What happens to the keys when the stack is deleted. Retaining them keeps retained tables and
   * backups readable.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Waiting period before a destroyed key is deleted.
   *
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * The customer-managed KMS keys of a stage, one per concern so a key policy names only the
 * services of that concern. Every key rotates yearly.
 *
 * - `eventLog`: MSK data volumes at rest.
 * - `data`: DynamoDB tables.
 * - `messaging`: SQS queues, the event bus, its archive and the alarm topic.
 * - `logs`: CloudWatch log groups (functions, brokers, VPC flow logs).
 *
 * @example
 * ```ts
 * const keys = new DuplexKeys(this, "Keys", { aliasPrefix: "duplex-dev" });
 * new Queue(this, "Q", { encryption: QueueEncryption.KMS, encryptionMasterKey: keys.messaging });
 * ```
 */
export class DuplexKeys extends Construct {
  readonly eventLog: Key;
  readonly data: Key;
  readonly messaging: Key;
  readonly logs: Key;

  constructor(scope: Construct, id: string, props: DuplexKeysProps) {
    super(scope, id);
    const make = (name: string, description: string): Key =>
      new Key(this, name, {
        alias: `alias/${props.aliasPrefix}/${name.toLowerCase()}`,
        description,
        enableKeyRotation: true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        pendingWindow: props.pendingWindow ?? Duration.days(30),
      });
    this.eventLog = make("EventLog", "Duplex: MSK broker volumes at rest");
    this.data = make("Data", "Duplex: DynamoDB tables");
    this.messaging = make("Messaging", "Duplex: SQS queues, event bus, archive, alarm topic");
    this.logs = make("Logs", "Duplex: CloudWatch log groups");

    // CloudWatch Logs encrypts log groups with the key; only log groups of this account and
    // region may use it (the condition the CloudWatch Logs guide recommends).
    this.logs.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowCloudWatchLogsOfThisAccount",
        principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:DescribeKey",
        ],
        resources: ["*"],
        conditions: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": Stack.of(this).formatArn({
              service: "logs",
              resource: "log-group",
              resourceName: "*",
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    // EventBridge writes to encrypted queues (rule targets and every dead-letter queue it feeds).
    // EventBridge's KMS requests carry no aws:SourceAccount / aws:SourceArn, so a condition on
    // them would silently drop every delivery (EventBridge User Guide, DLQs and encrypted targets).
    this.messaging.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowEventBridgeToEncryptedQueues",
        principals: [new ServicePrincipal("events.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
      }),
    );
    // CloudWatch alarms publish to the encrypted alarm topic; they do carry the source, so only
    // this account's Duplex alarms may use the key.
    this.messaging.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowDuplexAlarmsToTheAlarmTopic",
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        conditions: {
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: {
            "aws:SourceArn": Stack.of(this).formatArn({
              service: "cloudwatch",
              resource: "alarm",
              resourceName: `${props.aliasPrefix}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}
