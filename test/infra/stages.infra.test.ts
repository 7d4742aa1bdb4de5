import { describe, expect, it } from "vitest";
import { buildDuplexApp } from "../../lib/app.ts";
import {
  loadStageSettings,
  parseStageSettings,
  STAGE_NAMES,
  StageConfigError,
  selectedStage,
} from "../../lib/stages.ts";
import { cdkContext, stageSettings, testApp } from "./support.ts";

const contextOf = (values: Record<string, unknown>) => ({
  tryGetContext: (k: string) => values[k],
});

function withSetting(stage: "dev" | "prod", path: string[], value: unknown): unknown {
  const copy = structuredClone((cdkContext().stages as Record<string, unknown>)[stage]);
  let target = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[path.at(-1) as string] = value;
  return copy;
}

describe("stage settings (cdk.json context)", () => {
  it("defines valid settings for every stage", () => {
    for (const stage of STAGE_NAMES) expect(() => stageSettings(stage)).not.toThrow();
  });

  it("keeps dev smaller and cheaper than prod with the same topology", () => {
    const dev = stageSettings("dev");
    const prod = stageSettings("prod");
    expect(dev.eventLog.brokerInstanceType).toBe("kafka.t3.small");
    expect(prod.eventLog.brokerInstanceType).toBe("kafka.m7g.large");
    expect(dev.eventLog.volumeSizeGiB).toBeLessThan(prod.eventLog.volumeSizeGiB);
    expect(dev.eventLog.brokersPerAz).toBe(prod.eventLog.brokersPerAz);
    expect(dev.network.interfaceEndpoints).toEqual(prod.network.interfaceEndpoints);
    expect(dev.fastLane.archiveRetentionDays).toBeLessThan(prod.fastLane.archiveRetentionDays);
    expect(prod.data).toEqual({ removalPolicy: "retain", deletionProtection: true });
  });

  it("commits nothing account-specific", () => {
    const text = JSON.stringify(cdkContext());
    expect(text).not.toMatch(/\d{12}/);
    for (const stage of STAGE_NAMES) {
      expect(stageSettings(stage).fastLane.additionalProducerRoleArns).toEqual([]);
      // AZ ids are the same zones in every account (names are not): safe to commit.
      expect(stageSettings(stage).network.zones?.azIds).toHaveLength(3);
    }
  });

  it.each([
    [["eventLog", "volumeSizeGiB"], 0, "eventLog.volumeSizeGiB"],
    [["eventLog", "brokerInstanceType"], "m7g.large", "eventLog.brokerInstanceType"],
    [["network", "cidr"], "10.0.0.0/8", "network.cidr"],
    [["network", "flowLogRetentionDays"], 8, "network.flowLogRetentionDays"],
    [["fastLane", "targetRetryAttempts"], 186, "fastLane.targetRetryAttempts"],
    [["functions", "logLevel"], "VERBOSE", "functions.logLevel"],
    [["functions", "minimumPollers"], 50, "functions.minimumPollers"],
    [["data", "removalPolicy"], "snapshot", "data.removalPolicy"],
  ])("refuses %j = %j, naming the stage and the field", (path, value, field) => {
    const raw = withSetting("prod", path as string[], value);
    expect(() => parseStageSettings("prod", raw)).toThrow(StageConfigError);
    expect(() => parseStageSettings("prod", raw)).toThrow(new RegExp(`^stage 'prod': ${field}: `));
  });

  it("refuses unknown settings", () => {
    const raw = withSetting("dev", ["eventLog", "brokerCount"], 3);
    expect(() => parseStageSettings("dev", raw)).toThrow(/stage 'dev': eventLog: .*brokerCount/);
  });

  it("refuses a stage missing from the context", () => {
    expect(() => loadStageSettings(contextOf({ stages: {} }), "prod")).toThrow(
      /stage 'prod': stages.prod: missing/,
    );
  });

  it("selects the stage from -c stage=…, dev by default, and refuses others", () => {
    expect(selectedStage(contextOf({}))).toBe("dev");
    expect(selectedStage(contextOf({ stage: "prod" }))).toBe("prod");
    expect(() => selectedStage(contextOf({ stage: "qa" }))).toThrow(
      /stage 'qa': stage: unknown stage/,
    );
  });

  it("fails synthesis of an app whose stage setting is bad, naming stage and field", () => {
    const stages = structuredClone(cdkContext().stages) as Record<string, unknown>;
    stages.prod = withSetting("prod", ["observability", "offsetLagThreshold"], -5);
    const app = testApp({ stage: "prod", stages });
    expect(() => buildDuplexApp(app, { nag: false })).toThrow(
      /stage 'prod': observability.offsetLagThreshold/,
    );
  });

  it("adds producer roles given with -c producerRoleArns=… to the bus policy, validated", () => {
    const arn = "arn:aws:iam::111122223333:role/orders-api";
    const app = testApp({ stage: "dev", producerRoleArns: arn });
    const stack = buildDuplexApp(app, { nag: false });
    expect(JSON.stringify(app.synth().getStackByName(stack.stackName).template)).toContain(arn);
    expect(() =>
      buildDuplexApp(testApp({ stage: "dev", producerRoleArns: "not-an-arn" }), { nag: false }),
    ).toThrow(/stage 'dev': fastLane.additionalProducerRoleArns.0: expected an IAM role ARN/);
  });
});
