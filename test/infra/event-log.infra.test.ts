import type { Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { SecurityGroup } from "aws-cdk-lib/aws-ec2";
import { Key } from "aws-cdk-lib/aws-kms";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { describe, expect, it } from "vitest";
import { DUPLEX_SERVER_PROPERTIES, EventLog, MSK_IAM_TLS_PORT } from "../../lib/event-log.ts";
import { KafkaArns } from "../../lib/kafka-arns.ts";
import { DuplexNetwork } from "../../lib/network.ts";
import { stageSettings, synthStage, testStack } from "./support.ts";

function eventLogTemplate(): { template: Template; log: EventLog; stack: Stack } {
  const stack = testStack();
  const network = new DuplexNetwork(stack, "Network", { flowLogRetention: RetentionDays.ONE_DAY });
  const log = new EventLog(stack, "EventLog", {
    vpc: network.vpc,
    subnets: network.subnets,
    clusterName: "duplex-test",
    brokerInstanceType: "kafka.t3.small",
    volumeSizeGiB: 20,
    encryptionKey: new Key(stack, "EventLogKey", { enableKeyRotation: true }),
    brokerLogRetention: RetentionDays.TWO_WEEKS,
  });
  log.allowClientsFrom(new SecurityGroup(stack, "Clients", { vpc: network.vpc }));
  return { template: Template.fromStack(stack), log, stack };
}

describe("EventLog (MSK)", () => {
  const { template, log, stack } = eventLogTemplate();

  it("runs three brokers in three AZs, without public access", () => {
    template.hasResourceProperties("AWS::MSK::Cluster", {
      ClusterName: "duplex-test",
      NumberOfBrokerNodes: 3,
      BrokerNodeGroupInfo: {
        InstanceType: "kafka.t3.small",
        StorageInfo: { EBSStorageInfo: { VolumeSize: 20 } },
        ConnectivityInfo: { PublicAccess: { Type: "DISABLED" } },
      },
    });
    const cluster = Object.values(template.findResources("AWS::MSK::Cluster"))[0];
    expect(cluster?.Properties.BrokerNodeGroupInfo.ClientSubnets).toHaveLength(3);
    expect(log.brokerCount).toBe(3);
  });

  it("admits IAM-authenticated clients only, over TLS, with TLS between brokers", () => {
    template.hasResourceProperties("AWS::MSK::Cluster", {
      ClientAuthentication: {
        Sasl: { Iam: { Enabled: true } },
        Unauthenticated: { Enabled: false },
      },
      EncryptionInfo: {
        EncryptionInTransit: { ClientBroker: "TLS", InCluster: true },
        EncryptionAtRest: { DataVolumeKMSKeyId: Match.anyValue() },
      },
    });
    const cluster = Object.values(template.findResources("AWS::MSK::Cluster"))[0];
    expect(cluster?.Properties.ClientAuthentication.Sasl.Scram).toBeUndefined();
    expect(cluster?.Properties.ClientAuthentication.Tls).toBeUndefined();
  });

  it("encrypts the data volumes with a customer-managed key that rotates", () => {
    const keys = template.findResources("AWS::KMS::Key");
    const cluster = Object.values(template.findResources("AWS::MSK::Cluster"))[0];
    const keyId = cluster?.Properties.EncryptionInfo.EncryptionAtRest.DataVolumeKMSKeyId[
      "Fn::GetAtt"
    ][0] as string;
    expect(keys[keyId]?.Properties.EnableKeyRotation).toBe(true);
  });

  it("ships broker logs to CloudWatch Logs", () => {
    template.hasResourceProperties("AWS::MSK::Cluster", {
      LoggingInfo: {
        BrokerLogs: {
          CloudWatchLogs: { Enabled: true, LogGroup: Match.anyValue() },
          Firehose: { Enabled: false },
          S3: { Enabled: false },
        },
      },
    });
  });

  it("configures the brokers: no auto-created topics, RF 3, min ISR 2, no unclean leader election", () => {
    const config = Object.values(template.findResources("AWS::MSK::Configuration"))[0];
    const rendered = String(config?.Properties.ServerProperties ?? "");
    const properties = Object.fromEntries(rendered.split("\n").map((line) => line.split("=")));
    expect(properties).toMatchObject({
      "auto.create.topics.enable": "false",
      "min.insync.replicas": "2",
      "default.replication.factor": "3",
      "unclean.leader.election.enable": "false",
    });
    expect(properties).toEqual(DUPLEX_SERVER_PROPERTIES);
    template.hasResourceProperties("AWS::MSK::Cluster", {
      ConfigurationInfo: {
        Arn: { "Fn::GetAtt": [Match.anyValue(), "Arn"] },
        Revision: { "Fn::GetAtt": [Match.anyValue(), "LatestRevision.Revision"] },
      },
    });
  });

  it("opens the SASL/IAM TLS port to itself (Lambda's pollers) and to the clients' group only", () => {
    template.hasResourceProperties("AWS::EC2::SecurityGroupIngress", {
      IpProtocol: "tcp",
      FromPort: MSK_IAM_TLS_PORT,
      ToPort: MSK_IAM_TLS_PORT,
      SourceSecurityGroupId: Match.anyValue(),
    });
    const brokers = Object.values(template.findResources("AWS::EC2::SecurityGroup")).find((sg) =>
      String(sg.Properties.GroupDescription).includes("brokers"),
    );
    for (const rule of brokers?.Properties.SecurityGroupIngress ?? []) {
      expect(rule.CidrIp).toBeUndefined();
    }
    const ingress = Object.values(template.findResources("AWS::EC2::SecurityGroupIngress"));
    expect(ingress.every((r) => r.Properties.FromPort === MSK_IAM_TLS_PORT)).toBe(true);
  });

  it("reads the bootstrap brokers once deployed, allowed on this cluster only", () => {
    const lookup = Object.values(template.findResources("Custom::AWS"))[0];
    const call = JSON.stringify(lookup?.Properties.Create);
    expect(call).toContain('\\"service\\":\\"Kafka\\",\\"action\\":\\"GetBootstrapBrokers\\"');
    expect(call).toContain("BootstrapBrokerStringSaslIam");
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: [
          {
            Action: "kafka:GetBootstrapBrokers",
            Effect: "Allow",
            Resource: { "Fn::GetAtt": [Match.stringLikeRegexp("EventLogCluster"), "Arn"] },
          },
        ],
      },
    });
    expect(log.bootstrapBrokers).toMatch(/\$\{Token/);
  });

  it("names exact topic and group ARNs from the cluster ARN", () => {
    const arns = new KafkaArns(stack, "arn:aws:kafka:eu-west-1:111122223333:cluster/c/uuid-1", "c");
    const resolved = JSON.stringify(stack.resolve(arns.topic("order-events")));
    expect(resolved).toContain(":topic/c/");
    expect(resolved).toContain("/order-events");
    expect(JSON.stringify(stack.resolve(arns.group("g.order-events")))).toContain(":group/c/");
    expect(resolved).not.toContain("*");
  });

  it("sizes the brokers per stage with the same topology", () => {
    for (const stage of ["dev", "prod"] as const) {
      const { template: full } = synthStage(stage, { nag: false });
      const settings = stageSettings(stage);
      full.hasResourceProperties("AWS::MSK::Cluster", {
        ClusterName: `duplex-${stage}`,
        KafkaVersion: settings.eventLog.kafkaVersion,
        NumberOfBrokerNodes: 3,
        EnhancedMonitoring: settings.eventLog.enhancedMonitoring,
        BrokerNodeGroupInfo: Match.objectLike({
          InstanceType: settings.eventLog.brokerInstanceType,
          StorageInfo: { EBSStorageInfo: { VolumeSize: settings.eventLog.volumeSizeGiB } },
        }),
      });
    }
  });
});
