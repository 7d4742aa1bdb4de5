import { Match, Template } from "aws-cdk-lib/assertions";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_TOPIC, topicsFor } from "../../events/topics.ts";
import { TOPICS_RESOURCE_TYPE, TopicProvisioning } from "../../lib/topics.ts";
import {
  asArray,
  props,
  referencedIds,
  resourcesOfType,
  synthStage,
  testStack,
} from "./support.ts";

function topicsTemplate(allowDeletingTopicsWithData?: boolean): Template {
  const stack = testStack();
  const provisioner = new LambdaFunction(stack, "Provisioner", {
    runtime: Runtime.NODEJS_24_X,
    handler: "index.handler",
    code: Code.fromInline("export const handler = async () => ({});"),
  });
  new TopicProvisioning(stack, "Topics", {
    provisioner,
    topics: topicsFor("aws"),
    clusterArn: "arn:aws:kafka:eu-west-1:111122223333:cluster/duplex-test/uuid",
    bootstrapBrokers: "b-1.example:9098,b-2.example:9098",
    logRetention: RetentionDays.ONE_MONTH,
    ...(allowDeletingTopicsWithData === undefined ? {} : { allowDeletingTopicsWithData }),
  });
  return Template.fromStack(stack);
}

describe("TopicProvisioning", () => {
  const template = topicsTemplate();

  it("passes every catalog topic with partitions, replication factor 3 and configs", () => {
    const expected = topicsFor("aws").map((t) => ({
      name: t.name,
      partitions: t.partitions,
      replicationFactor: 3,
      configs: { ...t.configs },
    }));
    template.hasResourceProperties(TOPICS_RESOURCE_TYPE, {
      topics: expected,
      clusterArn: "arn:aws:kafka:eu-west-1:111122223333:cluster/duplex-test/uuid",
      bootstrapBrokers: "b-1.example:9098,b-2.example:9098",
    });
    for (const topic of expected) expect(topic.configs["min.insync.replicas"]).toBe("2");
    expect(expected.map((t) => t.name)).toContain(DEAD_LETTER_TOPIC);
  });

  it("never deletes a topic with data unless told", () => {
    template.hasResourceProperties(TOPICS_RESOURCE_TYPE, { allowDeletingTopicsWithData: false });
    topicsTemplate(true).hasResourceProperties(TOPICS_RESOURCE_TYPE, {
      allowDeletingTopicsWithData: true,
    });
  });

  it("is served by a provider framework that invokes the provisioner", () => {
    template.hasResourceProperties(TOPICS_RESOURCE_TYPE, {
      ServiceToken: { "Fn::GetAtt": [Match.stringLikeRegexp("framework"), "Arn"] },
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: {
          USER_ON_EVENT_FUNCTION_ARN: {
            "Fn::GetAtt": [Match.stringLikeRegexp("Provisioner"), "Arn"],
          },
        },
      },
    });
  });

  it("in the stack: runs after the brokers are reachable, before any mapping reads a topic", () => {
    const { json } = synthStage("dev", { nag: false });
    const [topicsId, topics] = Object.entries(resourcesOfType(json, TOPICS_RESOURCE_TYPE))[0] ?? [];
    expect(topicsId).toBeDefined();
    const dependsOn = new Set(asArray(topics?.DependsOn));
    const ingress = Object.keys(resourcesOfType(json, "AWS::EC2::SecurityGroupIngress"));
    expect(ingress.some((id) => dependsOn.has(id))).toBe(true);
    const kafkaMappings = Object.values(
      resourcesOfType(json, "AWS::Lambda::EventSourceMapping"),
    ).filter((m) => m.Properties?.Topics);
    expect(kafkaMappings.length).toBeGreaterThan(0);
    for (const mapping of kafkaMappings) {
      expect(asArray(mapping.DependsOn)).toContain(topicsId);
    }
    expect(referencedIds(topics?.Properties?.bootstrapBrokers).size).toBe(1);
  });

  it("in the stack: lets the provisioner administer exactly the catalog's topics", () => {
    const { json } = synthStage("dev", { nag: false });
    const policies = Object.entries(resourcesOfType(json, "AWS::IAM::Policy")).filter(([id]) =>
      id.startsWith("Functionstopicprovisioner"),
    );
    const statements = policies.flatMap(([, p]) =>
      asArray((props(p).PolicyDocument as { Statement: unknown[] }).Statement),
    ) as { Action: string | string[]; Resource: unknown }[];
    const admin = statements.find((s) => asArray(s.Action).includes("kafka-cluster:CreateTopic"));
    const resources = JSON.stringify(admin?.Resource);
    for (const topic of topicsFor("aws")) expect(resources).toContain(`/${topic.name}"`);
    expect(asArray(admin?.Resource)).toHaveLength(topicsFor("aws").length);
  });
});
