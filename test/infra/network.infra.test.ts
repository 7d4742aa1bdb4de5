import { Match, Template } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { describe, expect, it } from "vitest";
import { DuplexNetwork } from "../../lib/network.ts";
import { loadStageSettings } from "../../lib/stages.ts";
import { cdkContext, stageSettings, synthStage, testStack } from "./support.ts";

function networkTemplate(): Template {
  const stack = testStack();
  new DuplexNetwork(stack, "Network", {
    cidr: "10.42.0.0/16",
    interfaceEndpoints: ["sqs", "events"],
    flowLogRetention: RetentionDays.TWO_WEEKS,
    logsKey: new Key(stack, "Logs"),
  });
  return Template.fromStack(stack);
}

describe("DuplexNetwork", () => {
  const template = networkTemplate();

  it("spreads private isolated subnets over three AZs, without NAT or internet gateway", () => {
    template.resourceCountIs("AWS::EC2::VPC", 1);
    template.resourceCountIs("AWS::EC2::Subnet", 3);
    template.resourceCountIs("AWS::EC2::NatGateway", 0);
    template.resourceCountIs("AWS::EC2::InternetGateway", 0);
    template.allResourcesProperties("AWS::EC2::Subnet", { MapPublicIpOnLaunch: false });
  });

  it("logs all VPC traffic to an encrypted log group with retention", () => {
    template.hasResourceProperties("AWS::EC2::FlowLog", {
      ResourceType: "VPC",
      TrafficType: "ALL",
      LogDestinationType: "cloud-watch-logs",
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", {
      RetentionInDays: 14,
      KmsKeyId: Match.anyValue(),
    });
  });

  it("reaches DynamoDB and S3 through gateway endpoints, SQS and EventBridge through interface endpoints", () => {
    const endpoints = template.findResources("AWS::EC2::VPCEndpoint");
    const kinds = Object.values(endpoints).map((e) => {
      const name = JSON.stringify(e.Properties.ServiceName);
      return `${e.Properties.VpcEndpointType ?? "Gateway"}:${/dynamodb|s3|sqs|events/.exec(name)?.[0]}`;
    });
    expect(kinds.sort()).toEqual([
      "Gateway:dynamodb",
      "Gateway:s3",
      "Interface:events",
      "Interface:sqs",
    ]);
    template.hasResourceProperties("AWS::EC2::VPCEndpoint", {
      VpcEndpointType: "Interface",
      PrivateDnsEnabled: true,
    });
  });

  it("lets only HTTPS from the VPC range into the interface endpoints", () => {
    template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      GroupDescription: Match.stringLikeRegexp("Interface endpoints"),
      SecurityGroupIngress: [
        { CidrIp: "10.42.0.0/16", FromPort: 443, ToPort: 443, IpProtocol: "tcp" },
      ],
    });
  });

  it("gives a stack without pinned zones three AZs even when it is environment-agnostic", () => {
    const stages = structuredClone(cdkContext().stages) as { dev: { network: { zones: unknown } } };
    stages.dev.network.zones = null;
    const { json } = synthStage("dev", { nag: false, context: { stages } });
    const azs = Object.values(json.Resources)
      .filter((r) => r.Type === "AWS::EC2::Subnet")
      .map((r) => JSON.stringify(r.Properties?.AvailabilityZone));
    expect(new Set(azs).size).toBe(3);
    expect(json.Rules?.ZonesRegion).toBeUndefined();
  });

  it.each(["dev", "prod"] as const)(
    "places %s's subnets by AZ id and refuses to deploy in another region",
    (stage) => {
      const { json } = synthStage(stage, { nag: false });
      const zones = stageSettings(stage).network.zones;
      const subnets = Object.values(json.Resources).filter((r) => r.Type === "AWS::EC2::Subnet");
      expect(subnets.map((s) => s.Properties?.AvailabilityZoneId).sort()).toEqual(
        [...(zones?.azIds ?? [])].sort(),
      );
      for (const s of subnets) expect(s.Properties?.AvailabilityZone).toBeUndefined();
      const rule = JSON.stringify(json.Rules);
      expect(rule).toContain('"Fn::Equals":[{"Ref":"AWS::Region"},"us-east-1"]');
      expect(rule).toContain(zones?.azIds.join(", "));
    },
  );

  it.each([
    [["use1-az1", "use1-az2", "use1-az3"], "MSK does not place brokers there"],
    [["use1-az1", "use1-az2"], "expected three AZ ids"],
    [["use1-az1", "use1-az1", "use1-az2"], "lists an AZ id twice"],
    [["use1-az1", "use1-az2", "euw1-az1"], "mixes regions"],
    [["us-east-1a", "us-east-1b", "us-east-1c"], "not an AZ id"],
  ])("refuses zones %j (%s)", (azIds, why) => {
    const stages = structuredClone(cdkContext().stages) as {
      prod: { network: { zones: { region: string; azIds: string[] } } };
    };
    stages.prod.network.zones.azIds = azIds;
    expect(() =>
      loadStageSettings({ tryGetContext: (k) => (k === "stages" ? stages : undefined) }, "prod"),
    ).toThrow(new RegExp(`stage 'prod': network.zones.azIds: .*${why}`));
  });
});
