import { Aws, CfnRule, Fn, RemovalPolicy, Stack } from "aws-cdk-lib";
import type { SubnetSelection } from "aws-cdk-lib/aws-ec2";
import {
  type CfnSubnet,
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  type InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from "aws-cdk-lib/aws-ec2";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** AWS APIs the functions may reach through an interface endpoint. */
export type InterfaceEndpointName = "sqs" | "events" | "sts" | "lambda" | "kafka" | "xray";

const interfaceServices: Readonly<Record<InterfaceEndpointName, InterfaceVpcEndpointAwsService>> = {
  sqs: InterfaceVpcEndpointAwsService.SQS,
  events: InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  sts: InterfaceVpcEndpointAwsService.STS,
  lambda: InterfaceVpcEndpointAwsService.LAMBDA,
  kafka: InterfaceVpcEndpointAwsService.KAFKA,
  xray: InterfaceVpcEndpointAwsService.XRAY,
};

/** Properties of {@link DuplexNetwork}. */
export interface DuplexNetworkProps {
  /**
   * IPv4 range of the VPC.
   *
   * @default "10.42.0.0/16"
   */
  readonly cidr?: string;
  /**
   * The region and the three AZ **ids** (`use1-az1`) of the subnets. Each subnet gets
   * `AvailabilityZoneId` (not a name, which maps to another zone in another account), and the
   * template carries a rule that refuses to deploy in any other region. Validate the ids with
   * `problemWithAzIds` first (the stage settings do).
   *
   * @default - the region's first three AZ names (`Fn::GetAZs`), so an environment-agnostic stack
   *   gets three AZs rather than the two CDK assumes for it
   */
  readonly zones?: { readonly region: string; readonly azIds: readonly string[] };
  /**
   * Interface endpoints to create. DynamoDB and S3 always get (free) gateway endpoints.
   *
   * @default ["sqs", "events"] — what the functions call besides DynamoDB and Kafka
   */
  readonly interfaceEndpoints?: readonly InterfaceEndpointName[];
  /** Retention of the VPC flow log. */
  readonly flowLogRetention: RetentionDays;
  /**
   * Key that encrypts the flow log group.
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly logsKey?: IKey;
  /**
   * What happens to the flow log group when the stack is deleted.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * What happens to the VPC and its subnets when the stack is deleted or a change would replace
   * them. A retained MSK cluster keeps its network interfaces in these subnets, so they must
   * outlive the stack with it.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The VPC of a stage: private isolated subnets in three AZs for the MSK brokers and the functions,
 * no NAT gateway and no internet gateway. Functions reach DynamoDB through a gateway endpoint and
 * the other AWS APIs they call through interface endpoints; all traffic is logged by a flow log.
 *
 * @example
 * ```ts
 * const network = new DuplexNetwork(this, "Network", {
 *   flowLogRetention: RetentionDays.ONE_MONTH,
 *   interfaceEndpoints: ["sqs", "events"],
 * });
 * new NodejsFunction(this, "Fn", { vpc: network.vpc, vpcSubnets: network.subnets });
 * ```
 */
export class DuplexNetwork extends Construct {
  readonly vpc: Vpc;
  /** The private subnets MSK and the functions use (one per AZ). */
  readonly subnets: SubnetSelection;
  /** Interface endpoints by name. */
  readonly interfaceEndpoints: ReadonlyMap<InterfaceEndpointName, InterfaceVpcEndpoint>;
  readonly flowLogGroup: LogGroup;
  /** Security group of the interface endpoints (HTTPS from the VPC's range). */
  readonly endpointSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: DuplexNetworkProps) {
    super(scope, id);
    this.vpc = new Vpc(this, "Vpc", {
      ipAddresses: IpAddresses.cidr(props.cidr ?? "10.42.0.0/16"),
      // With zone ids, the ids stand in for names here and become `AvailabilityZoneId` below.
      availabilityZones: [
        ...(props.zones?.azIds ?? [0, 1, 2].map((i) => Fn.select(i, Fn.getAzs()))),
      ],
      natGateways: 0,
      subnetConfiguration: [
        { name: "private", subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
      ],
      restrictDefaultSecurityGroup: true,
      gatewayEndpoints: {
        DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: GatewayVpcEndpointAwsService.S3 },
      },
    });
    this.subnets = { subnetType: SubnetType.PRIVATE_ISOLATED };
    if (props.zones !== undefined) this.pinZoneIds(props.zones);
    if (props.removalPolicy !== undefined) {
      this.vpc.applyRemovalPolicy(props.removalPolicy);
      for (const subnet of this.vpc.isolatedSubnets) subnet.applyRemovalPolicy(props.removalPolicy);
    }

    this.flowLogGroup = new LogGroup(this, "FlowLogs", {
      retention: props.flowLogRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog("FlowLog", {
      destination: FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: FlowLogTrafficType.ALL,
    });

    const cidr = props.cidr ?? "10.42.0.0/16";
    this.endpointSecurityGroup = new SecurityGroup(this, "EndpointsSecurityGroup", {
      vpc: this.vpc,
      description: "Interface endpoints: HTTPS from inside the VPC only",
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(Peer.ipv4(cidr), Port.tcp(443), "HTTPS from the VPC");
    const endpoints = new Map<InterfaceEndpointName, InterfaceVpcEndpoint>();
    for (const name of props.interfaceEndpoints ?? ["sqs", "events"]) {
      endpoints.set(
        name,
        this.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
          service: interfaceServices[name],
          subnets: this.subnets,
          privateDnsEnabled: true,
          securityGroups: [this.endpointSecurityGroup],
          open: false,
        }),
      );
    }
    this.interfaceEndpoints = endpoints;
  }

  /** Subnets by AZ id, and a template rule that refuses any other region than the ids'. */
  private pinZoneIds(zones: { readonly region: string; readonly azIds: readonly string[] }): void {
    this.vpc.isolatedSubnets.forEach((subnet, i) => {
      const cfn = subnet.node.defaultChild as CfnSubnet;
      cfn.addPropertyDeletionOverride("AvailabilityZone");
      cfn.addPropertyOverride("AvailabilityZoneId", zones.azIds[i]);
    });
    new CfnRule(Stack.of(this), "ZonesRegion", {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, zones.region),
          assertDescription: `The subnets are pinned to AZ ids ${zones.azIds.join(", ")} of ${zones.region}: deploy this stage in ${zones.region} (or change network.zones in cdk.json, which replaces the subnets and the MSK cluster).`,
        },
      ],
    });
  }
}
