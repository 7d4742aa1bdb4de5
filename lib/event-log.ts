import { RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { CfnScalableTarget, CfnScalingPolicy } from "aws-cdk-lib/aws-applicationautoscaling";
import {
  Connections,
  type IConnectable,
  type IVpc,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
} from "aws-cdk-lib/aws-ec2";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { CfnCluster, CfnConfiguration } from "aws-cdk-lib/aws-msk";
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  PhysicalResourceId,
} from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { KafkaArns } from "./kafka-arns.ts";

/** Port of the brokers' SASL/IAM listener over TLS inside the VPC. */
export const MSK_IAM_TLS_PORT = 9098;

/** Monitoring levels MSK offers. */
export type MskMonitoringLevel =
  | "DEFAULT"
  | "PER_BROKER"
  | "PER_TOPIC_PER_BROKER"
  | "PER_TOPIC_PER_PARTITION";

/**
 * Broker settings Duplex relies on: topics exist only when the provisioner creates them, every
 * write is acknowledged by two in-sync replicas of three, and an out-of-sync replica never becomes
 * leader (no silent data loss).
 */
export const DUPLEX_SERVER_PROPERTIES: Readonly<Record<string, string>> = {
  "auto.create.topics.enable": "false",
  "default.replication.factor": "3",
  "min.insync.replicas": "2",
  "unclean.leader.election.enable": "false",
  "delete.topic.enable": "true",
};

/** Properties of {@link EventLog}. */
export interface EventLogProps {
  readonly vpc: IVpc;
  /** Subnets of the brokers, one per AZ. */
  readonly subnets: SubnetSelection;
  /** Cluster name; also the `Cluster Name` dimension of MSK metrics. */
  readonly clusterName: string;
  /**
   * MSK Kafka version.
   *
   * @default "3.8.x"
   */
  readonly kafkaVersion?: string;
  /** Standard broker instance type, e.g. `kafka.m7g.large`. */
  readonly brokerInstanceType: string;
  /**
   * Brokers in each AZ.
   *
   * @default 1
   */
  readonly brokersPerAz?: number;
  /** EBS volume per broker, GiB. */
  readonly volumeSizeGiB: number;
  /**
   * MSK CloudWatch metrics level.
   *
   * @default "DEFAULT"
   */
  readonly enhancedMonitoring?: MskMonitoringLevel;
  /** Customer-managed key for the data volumes. */
  readonly encryptionKey: IKey;
  /** Retention of the broker log group. */
  readonly brokerLogRetention: RetentionDays;
  /**
   * Key of the broker log group.
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly logsKey?: IKey;
  /**
   * Broker settings added to (or overriding) {@link DUPLEX_SERVER_PROPERTIES}.
   *
   * @default - none
   */
  readonly serverProperties?: Readonly<Record<string, string>>;
  /**
   * What happens to the cluster (and what it cannot live without: its configuration, security
   * group and broker log group) when the stack is deleted or a change would replace it.
   * `RETAIN` sets DeletionPolicy and UpdateReplacePolicy Retain: the records outlive the stack,
   * and a replacing change fails on the cluster name, which the kept cluster still holds.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Broker storage auto-scaling: a target-tracking policy on `KafkaBrokerStorageUtilization`
   * (scale-out only) through Application Auto Scaling, with MSK's service-linked role.
   *
   * @default - no auto-scaling
   */
  readonly storageAutoScaling?: StorageAutoScaling;
}

/** Broker storage auto-scaling of {@link EventLog}. */
export interface StorageAutoScaling {
  /** Largest volume per broker MSK may grow to (up to 16,384 GiB). */
  readonly maxVolumeSizeGiB: number;
  /** Disk use of the fullest broker that triggers a step (10-80; AWS recommends 50-60). */
  readonly targetUtilizationPercent: number;
}

/** The scalable dimension of MSK broker storage (Application Auto Scaling). */
export const BROKER_STORAGE_DIMENSION = "kafka:broker-storage:VolumeSize";

/**
 * The durable log: a provisioned MSK cluster with brokers spread over three AZs, IAM access
 * control only (no unauthenticated or plaintext listener), TLS between clients and brokers and
 * between brokers, data volumes encrypted with a customer-managed key, broker logs in CloudWatch
 * Logs, and a cluster configuration that forbids topic auto-creation and unclean leader election.
 *
 * Topics are not created here; see {@link TopicProvisioning}.
 *
 * @example
 * ```ts
 * const log = new EventLog(this, "EventLog", {
 *   vpc, subnets, clusterName: "duplex-dev", brokerInstanceType: "kafka.t3.small",
 *   volumeSizeGiB: 20, encryptionKey: keys.eventLog, brokerLogRetention: RetentionDays.TWO_WEEKS,
 * });
 * log.allowClientsFrom(functionsSecurityGroup);
 * ```
 */
export class EventLog extends Construct {
  readonly cluster: CfnCluster;
  readonly configuration: CfnConfiguration;
  readonly clusterArn: string;
  readonly clusterName: string;
  /** Number of brokers (3 × brokers per AZ). */
  readonly brokerCount: number;
  /** Security group of the brokers, also used by Lambda's MSK pollers. */
  readonly securityGroup: SecurityGroup;
  readonly connections: Connections;
  readonly brokerLogGroup: LogGroup;
  /** Comma-separated SASL/IAM bootstrap brokers (`host:9098,…`), read from MSK at deploy time. */
  readonly bootstrapBrokers: string;
  /** Exact ARNs of topics and consumer groups, for IAM. */
  readonly arns: KafkaArns;
  /** The storage scaling target, when auto-scaling is on. */
  readonly storageScalingTarget: CfnScalableTarget | undefined;

  constructor(scope: Construct, id: string, props: EventLogProps) {
    super(scope, id);
    const subnets = props.vpc.selectSubnets(props.subnets);
    const azCount = new Set(subnets.availabilityZones).size || subnets.subnetIds.length;
    this.brokerCount = azCount * (props.brokersPerAz ?? 1);
    this.clusterName = props.clusterName;

    this.securityGroup = new SecurityGroup(this, "Brokers", {
      vpc: props.vpc,
      description: `${props.clusterName} brokers and the Lambda MSK pollers`,
      allowAllOutbound: false,
    });
    // Lambda's MSK event pollers attach to the cluster's subnets with this very security group,
    // so the group must reach itself; brokers replicate to each other on the same ports.
    this.securityGroup.addIngressRule(
      this.securityGroup,
      Port.tcp(MSK_IAM_TLS_PORT),
      "Brokers and Lambda MSK pollers (SASL/IAM over TLS)",
    );
    this.securityGroup.addEgressRule(
      this.securityGroup,
      Port.tcp(MSK_IAM_TLS_PORT),
      "Lambda MSK pollers to brokers (SASL/IAM over TLS)",
    );
    this.securityGroup.addEgressRule(
      Peer.ipv4(props.vpc.vpcCidrBlock),
      Port.tcp(443),
      "Lambda MSK pollers to AWS API endpoints in the VPC",
    );
    this.connections = new Connections({
      securityGroups: [this.securityGroup],
      defaultPort: Port.tcp(MSK_IAM_TLS_PORT),
    });

    this.configuration = new CfnConfiguration(this, "Configuration", {
      name: `${props.clusterName}-configuration`,
      description: "Duplex: no auto-created topics, RF 3, min ISR 2, no unclean leader election",
      serverProperties: renderServerProperties({
        ...DUPLEX_SERVER_PROPERTIES,
        ...props.serverProperties,
      }),
    });

    this.brokerLogGroup = new LogGroup(this, "BrokerLogs", {
      retention: props.brokerLogRetention,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.cluster = new CfnCluster(this, "Cluster", {
      clusterName: props.clusterName,
      kafkaVersion: props.kafkaVersion ?? "3.8.x",
      numberOfBrokerNodes: this.brokerCount,
      brokerNodeGroupInfo: {
        instanceType: props.brokerInstanceType,
        clientSubnets: subnets.subnetIds,
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: props.volumeSizeGiB } },
        connectivityInfo: { publicAccess: { type: "DISABLED" } },
      },
      clientAuthentication: {
        sasl: { iam: { enabled: true } },
        unauthenticated: { enabled: false },
      },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: props.encryptionKey.keyArn },
        encryptionInTransit: { clientBroker: "TLS", inCluster: true },
      },
      configurationInfo: {
        arn: this.configuration.attrArn,
        revision: this.configuration.attrLatestRevisionRevision,
      },
      enhancedMonitoring: props.enhancedMonitoring ?? "DEFAULT",
      loggingInfo: {
        brokerLogs: {
          cloudWatchLogs: { enabled: true, logGroup: this.brokerLogGroup.logGroupName },
          firehose: { enabled: false },
          s3: { enabled: false },
        },
      },
    });
    this.clusterArn = this.cluster.attrArn;
    this.arns = new KafkaArns(this, this.clusterArn, props.clusterName);
    if (props.removalPolicy !== undefined) {
      for (const kept of [
        this.cluster,
        this.configuration,
        this.securityGroup,
        this.brokerLogGroup,
      ]) {
        kept.applyRemovalPolicy(props.removalPolicy);
      }
    }
    this.storageScalingTarget =
      props.storageAutoScaling && this.addStorageAutoScaling(props, props.storageAutoScaling);

    // CloudFormation does not return the bootstrap brokers of a cluster; read them once deployed.
    const lookup = new AwsCustomResource(this, "BootstrapBrokers", {
      onUpdate: {
        service: "Kafka",
        action: "GetBootstrapBrokers",
        parameters: { ClusterArn: this.clusterArn },
        physicalResourceId: PhysicalResourceId.of(`${props.clusterName}-bootstrap-brokers`),
        outputPaths: ["BootstrapBrokerStringSaslIam"],
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [this.clusterArn] }),
      installLatestAwsSdk: false,
      memorySize: 256,
      logGroup: new LogGroup(this, "BootstrapBrokersLogs", {
        retention: props.brokerLogRetention,
        encryptionKey: props.logsKey,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    this.bootstrapBrokers = lookup.getResponseField("BootstrapBrokerStringSaslIam");
    acknowledgeAwsCustomResourceProvider(this);
  }

  /**
   * Registers the brokers' storage with Application Auto Scaling (no role: it uses MSK's
   * service-linked role `AWSServiceRoleForApplicationAutoScaling_KafkaCluster`) and tracks the
   * storage-utilization target, never scaling in (MSK cannot shrink volumes).
   */
  private addStorageAutoScaling(props: EventLogProps, scaling: StorageAutoScaling) {
    const target = new CfnScalableTarget(this, "StorageScaling", {
      serviceNamespace: "kafka",
      scalableDimension: BROKER_STORAGE_DIMENSION,
      resourceId: this.clusterArn,
      minCapacity: props.volumeSizeGiB,
      maxCapacity: scaling.maxVolumeSizeGiB,
    });
    new CfnScalingPolicy(this, "StorageScalingPolicy", {
      policyName: `${props.clusterName}-broker-storage`,
      policyType: "TargetTrackingScaling",
      scalingTargetId: target.ref,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: {
          predefinedMetricType: "KafkaBrokerStorageUtilization",
        },
        targetValue: scaling.targetUtilizationPercent,
        disableScaleIn: true,
      },
    });
    return target;
  }

  /** Lets a security group (the functions') reach the brokers' SASL/IAM TLS port. */
  allowClientsFrom(peer: IConnectable): void {
    this.connections.allowDefaultPortFrom(peer, "Duplex functions (SASL/IAM over TLS)");
  }
}

/**
 * Renders broker settings as a `server.properties` document, one `key=value` per line, sorted.
 *
 * @example
 * ```ts
 * renderServerProperties({ "min.insync.replicas": "2" }); // "min.insync.replicas=2"
 * ```
 */
export function renderServerProperties(properties: Readonly<Record<string, string>>): string {
  return Object.entries(properties)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
}

/**
 * Acknowledges the findings on the stack-wide function aws-cdk-lib creates for every
 * `AwsCustomResource` (one SDK call at deploy time, here `kafka:GetBootstrapBrokers`).
 */
function acknowledgeAwsCustomResourceProvider(scope: Construct): void {
  const provider = Stack.of(scope).node.tryFindChild(
    `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll("-", "")}`,
  );
  if (provider === undefined) return;
  Validations.of(provider).acknowledge(
    {
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      reason:
        "aws-cdk-lib's AwsCustomResource function gets the basic execution policy (write its own logs) from aws-cdk-lib; its only other permission is kafka:GetBootstrapBrokers on this cluster.",
    },
    {
      id: "Serverless-LambdaDLQ",
      reason:
        "Invoked by CloudFormation during deployments only, to read the bootstrap brokers; a failure fails the stack operation, where it is reported.",
    },
    {
      id: "Serverless-LambdaTracing",
      reason:
        "A deploy-time helper generated by aws-cdk-lib (one GetBootstrapBrokers call per deployment); aws-cdk-lib exposes no tracing setting for it.",
    },
  );
}
