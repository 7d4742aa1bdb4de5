import { Duration, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { describe, expect, it } from "vitest";
import { DeadLetterQueue, WorkQueue } from "../../lib/queues.ts";
import { referencedId, testStack } from "./support.ts";

describe("DeadLetterQueue and WorkQueue", () => {
  const stack = testStack();
  const key = new Key(stack, "Key", { enableKeyRotation: true });
  const dlq = new DeadLetterQueue(stack, "Dlq", { encryptionKey: key, source: "queue-redrive" });
  const targetDlq = new DeadLetterQueue(stack, "TargetDlq", {
    encryptionKey: key,
    source: "rule-target",
  });
  new WorkQueue(stack, "Work", {
    encryptionKey: key,
    visibilityTimeout: Duration.minutes(3),
    deadLetterQueue: dlq,
    maxReceiveCount: 5,
  });
  const template = Template.fromStack(stack);
  const queues = template.findResources("AWS::SQS::Queue");

  it("keeps dead letters 14 days, encrypted with the key", () => {
    const dlqs = Object.entries(queues).filter(([id]) => /Dlq/.test(id));
    expect(dlqs).toHaveLength(2);
    for (const [, q] of dlqs) {
      expect(q.Properties.MessageRetentionPeriod).toBe(14 * 86_400);
      expect(referencedId(q.Properties.KmsMasterKeyId)).toMatch(/^Key/);
    }
  });

  it("redrives the work queue to its DLQ and keeps its visibility timeout", () => {
    const [, work] = Object.entries(queues).find(([id]) => id.startsWith("Work")) ?? [];
    expect(work?.Properties.VisibilityTimeout).toBe(180);
    expect(work?.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(referencedId(work?.Properties.RedrivePolicy.deadLetterTargetArn)).toMatch(/^DlqQueue/);
  });

  it("refuses requests without TLS on every queue", () => {
    const policies = Object.values(template.findResources("AWS::SQS::QueuePolicy"));
    expect(policies).toHaveLength(3);
    for (const p of policies)
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain(
        '"aws:SecureTransport":"false"',
      );
  });

  it("acknowledges exactly what does not apply to a DLQ, with reasons", () => {
    const acknowledged = (scope: DeadLetterQueue) =>
      scope.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as object).map((id) => id.replace(/^Annotation::/, "")))
        .sort();
    expect(acknowledged(dlq)).toEqual(["Serverless-SQSRedrivePolicy"]);
    expect(acknowledged(targetDlq)).toEqual(["AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"]);
  });
});
