import { Fn, RemovalPolicy } from "aws-cdk-lib";
import type { SubnetSelection } from "aws-cdk-lib/aws-ec2";
import {
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
   * The three AZs to use. Concrete names need an environment-aware stack (or one that reports
   * them as its `availabilityZones`).
   *
   * @default - the region's first three AZs (`Fn::GetAZs`), so an environment-agnostic stack gets
   *   three AZs rather than the two CDK assumes for it
   */
  readonly availabilityZones?: readonly string[];
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
      availabilityZones: [
        ...(props.availabilityZones ?? [0, 1, 2].map((i) => Fn.select(i, Fn.getAzs()))),
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
}
