import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { DuplexKeys } from "../../lib/keys.ts";
import { type CfnResourceJson, props, testStack } from "./support.ts";

type Statement = {
  Sid?: string;
  Principal?: { Service?: string };
  Condition?: Record<string, unknown>;
};

function keysTemplate(): Template {
  const stack = testStack();
  new DuplexKeys(stack, "Keys", { aliasPrefix: "duplex-test" });
  return Template.fromStack(stack);
}

describe("DuplexKeys", () => {
  const template = keysTemplate();
  const keys = Object.entries(template.findResources("AWS::KMS::Key"));
  const statementsOf = (prefix: string): Statement[] =>
    (
      props(keys.find(([id]) => id.startsWith(prefix))?.[1] as CfnResourceJson | undefined)
        .KeyPolicy as { Statement: Statement[] }
    ).Statement;

  it("makes four customer-managed keys, one per concern, each rotating, retained by default", () => {
    expect(keys.map(([id]) => id.replace(/[0-9A-F]{8}$/, "")).sort()).toEqual([
      "KeysData",
      "KeysEventLog",
      "KeysLogs",
      "KeysMessaging",
    ]);
    for (const [, key] of keys) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.DeletionPolicy).toBe("Retain");
    }
    const aliases = Object.values(template.findResources("AWS::KMS::Alias")).map(
      (a) => a.Properties.AliasName,
    );
    expect(aliases.sort()).toEqual([
      "alias/duplex-test/data",
      "alias/duplex-test/eventlog",
      "alias/duplex-test/logs",
      "alias/duplex-test/messaging",
    ]);
  });

  it("lets CloudWatch Logs use the logs key for this account's log groups only", () => {
    const logs = statementsOf("KeysLogs").find((s) => s.Sid === "AllowCloudWatchLogsOfThisAccount");
    expect(JSON.stringify(logs?.Principal)).toContain("logs.");
    expect(JSON.stringify(logs?.Condition)).toContain("kms:EncryptionContext:aws:logs:arn");
  });

  it("lets EventBridge write to encrypted queues without source conditions its KMS calls lack", () => {
    const events = statementsOf("KeysMessaging").find(
      (s) => s.Sid === "AllowEventBridgeToEncryptedQueues",
    );
    expect(events?.Principal).toEqual({ Service: "events.amazonaws.com" });
    expect(events?.Condition).toBeUndefined();
  });

  it("lets only this stage's alarms publish to the encrypted alarm topic", () => {
    const alarms = statementsOf("KeysMessaging").find(
      (s) => s.Sid === "AllowDuplexAlarmsToTheAlarmTopic",
    );
    expect(alarms?.Principal).toEqual({ Service: "cloudwatch.amazonaws.com" });
    expect(JSON.stringify(alarms?.Condition)).toContain(":alarm:duplex-test-*");
    expect(JSON.stringify(alarms?.Condition)).toContain("aws:SourceAccount");
  });
});
