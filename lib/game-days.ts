import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type { IAlarm } from "aws-cdk-lib/aws-cloudwatch";
import { CfnExperimentTemplate } from "aws-cdk-lib/aws-fis";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { type Function as LambdaFunction, LayerVersion } from "aws-cdk-lib/aws-lambda";
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from "aws-cdk-lib/aws-s3";
import { CfnDocument, StringParameter } from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";

/**
 * Public SSM parameter holding the ARN of AWS's FIS Lambda extension layer for ARM64 functions
 * (FIS User Guide, "Available versions of the AWS FIS extension for Lambda").
 */
export const FIS_EXTENSION_LAYER_PARAMETER =
  "/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x";

/** Where in the configuration bucket FIS and the extension exchange fault configurations. */
export const FIS_CONFIG_PREFIX = "FisConfigs/";

/** The function a Lambda fault is injected into. */
export interface GameDayFunction {
  /** Declared name, e.g. `payment-commands`. */
  readonly name: string;
  readonly function: LambdaFunction;
}

/** Properties of {@link GameDays}. */
export interface GameDaysProps {
  /** Prefix of names, e.g. `duplex-dev`. */
  readonly namePrefix: string;
  /** The fast-lane handlers: the targets of the invocation-error and added-latency experiments. */
  readonly functions: readonly GameDayFunction[];
  /** The MSK cluster one broker of which the reboot experiment restarts. */
  readonly clusterArn: string;
  /**
   * Alarms that stop any experiment (FIS stop conditions): what must not happen while faults are
   * injected on purpose.
   */
  readonly stopAlarms: readonly IAlarm[];
  /**
   * Share of invocations a Lambda fault hits, percent.
   *
   * @default 50
   */
  readonly invocationPercentage?: number;
  /**
   * Delay added before each hit invocation.
   *
   * @default Duration.seconds(3)
   */
  readonly addedLatency?: Duration;
  /**
   * How long a Lambda fault lasts.
   *
   * @default Duration.minutes(10)
   */
  readonly duration?: Duration;
  /**
   * Broker the reboot experiment restarts (MSK broker ids start at 1).
   *
   * @default "1"
   */
  readonly brokerId?: string;
}

/**
 * Game days on AWS with the Fault Injection Service:
 *
 * - **invocation errors** (`aws:lambda:invocation-error`) and **added latency**
 *   (`aws:lambda:invocation-add-delay`) on the fast-lane handlers. These actions need AWS's FIS
 *   Lambda extension as a layer (`AWS_LAMBDA_EXEC_WRAPPER=/opt/aws-fis/bootstrap`) and an S3
 *   bucket through which FIS hands the fault configuration to the extension
 *   (`AWS_FIS_CONFIGURATION_LOCATION`), both added here;
 * - **a broker reboot**: FIS has no MSK action, so an SSM Automation document calls
 *   `kafka:RebootBroker` and waits until the cluster is ACTIVE again, and FIS runs it with
 *   `aws:ssm:start-automation-execution`.
 *
 * Every experiment stops as soon as one of the stop alarms fires.
 *
 * @example
 * ```ts
 * new GameDays(this, "GameDays", { namePrefix: "duplex-dev", functions: fastLaneHandlers,
 *   clusterArn: log.clusterArn, stopAlarms: [offline, underMinIsr, noController] });
 * ```
 */
export class GameDays extends Construct {
  readonly configBucket: Bucket;
  readonly experimentRole: Role;
  readonly invocationErrors: CfnExperimentTemplate;
  readonly addedLatency: CfnExperimentTemplate;
  readonly brokerReboot: CfnExperimentTemplate;
  readonly rebootDocument: CfnDocument;

  constructor(scope: Construct, id: string, props: GameDaysProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.configBucket = new Bucket(this, "FisConfig", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // FIS deletes a configuration when its experiment ends; anything left expires in a day.
      lifecycleRules: [{ expiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.configBucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Holds only the transient fault configurations FIS writes for its Lambda extension during an experiment (deleted by FIS at its end, expiring after a day); experiments are recorded by FIS itself.",
    });
    const location = `${this.configBucket.bucketArn}/${FIS_CONFIG_PREFIX}`;
    const configObjects = {
      id: `AwsSolutions-IAM5[Resource::<${stack.resolve((this.configBucket.node.defaultChild as CfnBucket).logicalId)}.Arn>/${FIS_CONFIG_PREFIX}*]`,
      reason:
        "FIS writes each experiment's fault configuration under the FisConfigs/ prefix of this stage's own bucket, with object names it chooses per experiment; the extension reads them, FIS writes and deletes them.",
    };

    const layer = LayerVersion.fromLayerVersionArn(
      this,
      "FisExtension",
      StringParameter.valueForStringParameter(this, FIS_EXTENSION_LAYER_PARAMETER),
    );
    for (const target of props.functions) {
      target.function.addLayers(layer);
      target.function.addEnvironment("AWS_LAMBDA_EXEC_WRAPPER", "/opt/aws-fis/bootstrap");
      target.function.addEnvironment("AWS_FIS_CONFIGURATION_LOCATION", location);
      target.function.addToRolePolicy(
        new PolicyStatement({
          actions: ["s3:ListBucket"],
          resources: [this.configBucket.bucketArn],
          conditions: { StringLike: { "s3:prefix": [`${FIS_CONFIG_PREFIX}*`] } },
        }),
      );
      target.function.addToRolePolicy(
        new PolicyStatement({
          actions: ["s3:GetObject"],
          resources: [this.configBucket.arnForObjects(`${FIS_CONFIG_PREFIX}*`)],
        }),
      );
      if (target.function.role) Validations.of(target.function.role).acknowledge(configObjects);
    }

    const automationRole = new Role(this, "RebootAutomationRole", {
      assumedBy: new ServicePrincipal("ssm.amazonaws.com"),
      description: `${props.namePrefix}: reboot one MSK broker for a game day`,
    });
    automationRole.addToPolicy(
      new PolicyStatement({
        actions: ["kafka:RebootBroker", "kafka:DescribeCluster"],
        resources: [props.clusterArn],
      }),
    );
    this.rebootDocument = new CfnDocument(this, "RebootBroker", {
      documentType: "Automation",
      name: `${props.namePrefix}-reboot-broker`,
      content: rebootBrokerDocument(props.namePrefix),
    });

    this.experimentRole = new Role(this, "ExperimentRole", {
      assumedBy: new ServicePrincipal("fis.amazonaws.com"),
      description: `${props.namePrefix}: runs the game-day experiments`,
    });
    this.experimentRole.addToPolicy(
      new PolicyStatement({
        actions: ["s3:PutObject", "s3:DeleteObject"],
        resources: [this.configBucket.arnForObjects(`${FIS_CONFIG_PREFIX}*`)],
      }),
    );
    this.experimentRole.addToPolicy(
      new PolicyStatement({
        actions: ["lambda:GetFunction"],
        resources: props.functions.map((f) => f.function.functionArn),
      }),
    );
    const documentName = this.rebootDocument.ref;
    this.experimentRole.addToPolicy(
      new PolicyStatement({
        actions: ["ssm:StartAutomationExecution"],
        resources: [
          stack.formatArn({
            service: "ssm",
            resource: "automation-definition",
            resourceName: `${documentName}:*`,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.experimentRole.addToPolicy(
      new PolicyStatement({
        actions: ["ssm:GetAutomationExecution", "ssm:StopAutomationExecution"],
        resources: [
          stack.formatArn({
            service: "ssm",
            resource: "automation-execution",
            resourceName: "*",
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.experimentRole.addToPolicy(
      new PolicyStatement({ actions: ["iam:PassRole"], resources: [automationRole.roleArn] }),
    );
    Validations.of(this.experimentRole).acknowledge(
      configObjects,
      {
        id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-execution/*]",
        reason:
          "Automation execution ids are made at run time; FIS reads and stops only the executions it starts (of the one reboot document it may start).",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-definition/<${stack.resolve(this.rebootDocument.logicalId)}>:*]`,
        reason:
          "Any version of the one reboot document of this stage (the ':*' version qualifier SSM requires).",
      },
    );

    const duration = `PT${Math.round((props.duration ?? Duration.minutes(10)).toMinutes())}M`;
    const percentage = String(props.invocationPercentage ?? 50);
    const stopConditions = props.stopAlarms.map((alarm) => ({
      source: "aws:cloudwatch:alarm",
      value: alarm.alarmArn,
    }));
    const lambdaTargets = {
      FastLaneHandlers: {
        resourceType: "aws:lambda:function",
        resourceArns: props.functions.map((f) => f.function.functionArn),
        selectionMode: "ALL",
      },
    };
    const experiment = (
      id: string,
      description: string,
      actions: CfnExperimentTemplate["actions"],
      targets: CfnExperimentTemplate["targets"],
    ) =>
      new CfnExperimentTemplate(this, id, {
        description,
        roleArn: this.experimentRole.roleArn,
        stopConditions,
        actions,
        targets,
        experimentOptions: {
          accountTargeting: "single-account",
          emptyTargetResolutionMode: "fail",
        },
        tags: {
          Name: `${props.namePrefix}-${id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/^-/, "")}`,
        },
      });

    this.invocationErrors = experiment(
      "InvocationErrors",
      `${props.namePrefix}: ${percentage} % of fast-lane handler invocations fail for ${duration} (local drill: DUPLEX_FAULT_FAIL_ON, docs/runbook.md Drill 1)`,
      {
        InvocationErrors: {
          actionId: "aws:lambda:invocation-error",
          parameters: { duration, invocationPercentage: percentage, preventExecution: "true" },
          targets: { Functions: "FastLaneHandlers" },
        },
      },
      lambdaTargets,
    );
    this.addedLatency = experiment(
      "AddedLatency",
      `${props.namePrefix}: ${percentage} % of fast-lane handler invocations start ${(props.addedLatency ?? Duration.seconds(3)).toMilliseconds()} ms late for ${duration} (local drill: DUPLEX_FAULT_DELAY_ON and DUPLEX_FAULT_DELAY_MS)`,
      {
        AddedLatency: {
          actionId: "aws:lambda:invocation-add-delay",
          parameters: {
            duration,
            invocationPercentage: percentage,
            startupDelayMilliseconds: String(
              (props.addedLatency ?? Duration.seconds(3)).toMilliseconds(),
            ),
          },
          targets: { Functions: "FastLaneHandlers" },
        },
      },
      lambdaTargets,
    );
    this.brokerReboot = experiment(
      "BrokerReboot",
      `${props.namePrefix}: reboot MSK broker ${props.brokerId ?? "1"} and wait until the cluster is ACTIVE (local drill: test/int/runtime-broker-restart.int.test.ts)`,
      {
        RebootBroker: {
          actionId: "aws:ssm:start-automation-execution",
          parameters: {
            documentArn: stack.formatArn({
              service: "ssm",
              resource: "document",
              resourceName: documentName,
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
            documentParameters: stack.toJsonString({
              AutomationAssumeRole: automationRole.roleArn,
              ClusterArn: props.clusterArn,
              BrokerId: props.brokerId ?? "1",
            }),
            maxDuration: "PT45M",
          },
        },
      },
      {},
    );
  }
}

/**
 * The SSM Automation document that reboots one broker: `kafka:RebootBroker` (one broker at a time,
 * MSK API reference), a pause for the reboot to begin, then a wait until the cluster is `ACTIVE`.
 */
export function rebootBrokerDocument(namePrefix: string): Record<string, unknown> {
  return {
    schemaVersion: "0.3",
    description: `${namePrefix}: reboot one MSK broker and wait until the cluster is ACTIVE again.`,
    assumeRole: "{{ AutomationAssumeRole }}",
    parameters: {
      AutomationAssumeRole: { type: "String", description: "Role allowed to reboot the broker" },
      ClusterArn: { type: "String", description: "The MSK cluster" },
      BrokerId: { type: "String", description: "The broker to reboot", default: "1" },
    },
    mainSteps: [
      {
        name: "RebootBroker",
        action: "aws:executeAwsApi",
        inputs: {
          Service: "kafka",
          Api: "RebootBroker",
          ClusterArn: "{{ ClusterArn }}",
          BrokerIds: ["{{ BrokerId }}"],
        },
      },
      { name: "LetTheRebootBegin", action: "aws:sleep", inputs: { Duration: "PT1M" } },
      {
        name: "WaitUntilActive",
        action: "aws:waitForAwsResourceProperty",
        timeoutSeconds: 2400,
        inputs: {
          Service: "kafka",
          Api: "DescribeCluster",
          ClusterArn: "{{ ClusterArn }}",
          PropertySelector: "$.ClusterInfo.State",
          DesiredValues: ["ACTIVE"],
        },
      },
    ],
  };
}
