import { Duration } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { describe, expect, it } from "vitest";
import { allEventDefinitions } from "../../events/registry.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { FastLane } from "../../lib/fast-lane.ts";
import { fastLaneCommands } from "../../lib/routes.ts";
import {
  asArray,
  props,
  referencedId,
  resourcesOfType,
  stageSettings,
  synthStage,
  type TemplateJson,
  testStack,
} from "./support.ts";

const commands = fastLaneCommands(allEventDefinitions());

function laneTemplate(): { template: Template; json: TemplateJson } {
  const stack = testStack();
  const lane = new FastLane(stack, "FastLane", {
    busName: "duplex-test",
    queueNamePrefix: "duplex-test",
    encryptionKey: new Key(stack, "Messaging", { enableKeyRotation: true }),
    archiveKey: new Key(stack, "Data", { enableKeyRotation: true }),
    commands: commands.map((command) => ({
      command,
      visibilityTimeout: Duration.seconds(180),
      maxReceiveCount: 5,
    })),
    archiveRetention: Duration.days(7),
    targetRetryAttempts: 24,
    targetMaxEventAge: Duration.hours(1),
  });
  lane.admitProducers([
    "arn:aws:iam::111122223333:role/producer-a",
    "arn:aws:iam::111122223333:role/producer-b",
  ]);
  const template = Template.fromStack(stack);
  return { template, json: template.toJSON() as TemplateJson };
}

describe("FastLane", () => {
  const { template, json } = laneTemplate();
  const queues = resourcesOfType(json, "AWS::SQS::Queue");
  const queueName = (id: string | undefined) => String(queues[id ?? ""]?.Properties?.QueueName);

  it("has a custom bus encrypted with a customer-managed key, with a dead-letter queue", () => {
    template.hasResourceProperties("AWS::Events::EventBus", {
      Name: "duplex-test",
      KmsKeyIdentifier: Match.anyValue(),
      DeadLetterConfig: { Arn: Match.anyValue() },
    });
  });

  it("archives every critical command for replays, with the retention given", () => {
    template.hasResourceProperties("AWS::Events::Archive", {
      RetentionDays: 7,
      EventPattern: { "detail-type": commands },
      KmsKeyIdentifier: Match.anyValue(),
    });
  });

  it("has one rule per critical command, matching its detail-type, to its own queue", () => {
    const rules = Object.values(resourcesOfType(json, "AWS::Events::Rule"));
    expect(rules.map((r) => r.Properties?.Name).sort()).toEqual([...commands].sort());
    for (const rule of rules) {
      const command = String(rule.Properties?.Name);
      expect(rule.Properties?.EventPattern).toEqual({ "detail-type": [command] });
      const [target, ...others] = asArray(rule.Properties?.Targets as Record<string, unknown>[]);
      expect(others).toHaveLength(0);
      expect(queueName(referencedId(target?.Arn))).toBe(`duplex-test-${command}`);
      expect(target?.RetryPolicy).toEqual({
        MaximumRetryAttempts: 24,
        MaximumEventAgeInSeconds: 3600,
      });
      const dlq = referencedId((target?.DeadLetterConfig as { Arn: unknown } | undefined)?.Arn);
      expect(queueName(dlq)).toBe(`duplex-test-${command}-delivery-dlq`);
    }
  });

  it("gives every command queue a dead-letter queue after maxReceiveCount receives", () => {
    for (const command of commands) {
      const [id, queue] =
        Object.entries(queues).find(
          ([, q]) => q.Properties?.QueueName === `duplex-test-${command}`,
        ) ?? [];
      expect(id).toBeDefined();
      const redrive = queue?.Properties?.RedrivePolicy as {
        deadLetterTargetArn: unknown;
        maxReceiveCount: number;
      };
      expect(redrive.maxReceiveCount).toBe(5);
      expect(queueName(referencedId(redrive.deadLetterTargetArn))).toBe(
        `duplex-test-${command}-dlq`,
      );
      expect(queue?.Properties?.VisibilityTimeout).toBe(180);
    }
  });

  it("encrypts every queue with the customer-managed key and refuses requests without TLS", () => {
    expect(Object.keys(queues)).toHaveLength(commands.length * 3 + 1);
    for (const queue of Object.values(queues)) {
      expect(referencedId(queue.Properties?.KmsMasterKeyId)).toMatch(/^Messaging/);
    }
    const policies = Object.values(resourcesOfType(json, "AWS::SQS::QueuePolicy"));
    const tlsOnly = new Set<string>();
    for (const policy of policies) {
      const statements = (props(policy).PolicyDocument as { Statement: Record<string, unknown>[] })
        .Statement;
      const denies = statements.some(
        (s) =>
          s.Effect === "Deny" &&
          JSON.stringify(s.Condition) ===
            JSON.stringify({ Bool: { "aws:SecureTransport": "false" } }),
      );
      if (denies)
        for (const q of asArray(policy.Properties?.Queues)) tlsOnly.add(String(referencedId(q)));
    }
    expect([...tlsOnly].sort()).toEqual(Object.keys(queues).sort());
  });

  it("admits only the producers' roles on the bus", () => {
    template.hasResourceProperties("AWS::Events::EventBusPolicy", {
      Statement: {
        Effect: "Allow",
        Action: "events:PutEvents",
        Principal: {
          AWS: [
            "arn:aws:iam::111122223333:role/producer-a",
            "arn:aws:iam::111122223333:role/producer-b",
          ],
        },
      },
    });
    template.hasResourceProperties("AWS::Events::EventBusPolicy", {
      Statement: {
        Effect: "Deny",
        Action: "events:PutEvents",
        Principal: { AWS: "*" },
        Condition: {
          ArnNotEquals: {
            "aws:PrincipalArn": [
              "arn:aws:iam::111122223333:role/producer-a",
              "arn:aws:iam::111122223333:role/producer-b",
            ],
          },
          Bool: { "aws:PrincipalIsAWSService": "false" },
        },
      },
    });
    template.resourceCountIs("AWS::Events::EventBusPolicy", 2);
  });

  it("in the stack: admits exactly the functions that declare put-events", () => {
    const { json: full } = synthStage("dev", { nag: false });
    const allow = Object.values(resourcesOfType(full, "AWS::Events::EventBusPolicy")).find(
      (p) => (props(p).Statement as { Effect: string }).Effect === "Allow",
    );
    const roles = asArray((props(allow).Statement as { Principal: { AWS: unknown } }).Principal.AWS)
      .map((r) => String(referencedId(r)).replace(/Role[0-9A-F]{8}$/, ""))
      .sort();
    const producers = functionDeclarations
      .filter((d) => d.resources.some((need) => need.kind === "bus"))
      .map((d) => `Functions${d.name.replaceAll("-", "")}`)
      .sort();
    expect(producers.length).toBeGreaterThan(0);
    expect(roles).toEqual(producers);
  });

  it("keeps the archive per stage", () => {
    for (const stage of ["dev", "prod"] as const) {
      synthStage(stage, { nag: false }).template.hasResourceProperties("AWS::Events::Archive", {
        RetentionDays: stageSettings(stage).fastLane.archiveRetentionDays,
      });
    }
  });
});
