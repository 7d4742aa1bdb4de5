import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cfnResourceSchema } from "./cfn-lint.ts";
import {
  fingerprintDifferences,
  type ReplacementFingerprint,
  replacementFingerprint,
} from "./replacement.ts";
import { REPOSITORY_ROOT, resourcesOfType, stageSettings, synthStage } from "./support.ts";

/**
 * The log is the system of record: in prod the MSK cluster outlives the stack and a change that
 * would replace it must stop in review, not in production.
 */

const STAGES = ["dev", "prod"] as const;
const PINS = join(REPOSITORY_ROOT, "test", "infra", "pins", "msk-cluster-replacement.json");

function clusterOf(stage: (typeof STAGES)[number]) {
  const { json } = synthStage(stage, { nag: false });
  const [id, cluster] = Object.entries(resourcesOfType(json, "AWS::MSK::Cluster"))[0] ?? [];
  if (id === undefined || cluster === undefined) throw new Error("no MSK cluster");
  return { json, id, cluster };
}

describe("the MSK cluster as system of record", () => {
  it("prod keeps the cluster and what it cannot live without (DeletionPolicy and UpdateReplacePolicy Retain)", () => {
    const { json } = clusterOf("prod");
    for (const type of [
      "AWS::MSK::Cluster",
      "AWS::MSK::Configuration",
      "AWS::EC2::VPC",
      "AWS::EC2::Subnet",
    ]) {
      const found = Object.values(resourcesOfType(json, type));
      expect(found.length, type).toBeGreaterThan(0);
      for (const r of found) {
        expect([type, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([type, "Retain", "Retain"]);
      }
    }
    const brokers = Object.values(resourcesOfType(json, "AWS::EC2::SecurityGroup")).find((sg) =>
      String(sg.Properties?.GroupDescription).includes("brokers"),
    );
    expect([brokers?.DeletionPolicy, brokers?.UpdateReplacePolicy]).toEqual(["Retain", "Retain"]);
  });

  it("dev deletes its cluster with the stack", () => {
    const { cluster } = clusterOf("dev");
    expect(cluster.DeletionPolicy).toBe("Delete");
    expect(cluster.UpdateReplacePolicy).toBe("Delete");
  });

  it.each(STAGES)(
    "%s: nothing that would replace the cluster changed (create-only properties of the cluster and of what they reference, pinned)",
    (stage) => {
      const { json, id } = clusterOf(stage);
      const current = replacementFingerprint(json, id);
      const pins = existsSync(PINS)
        ? (JSON.parse(readFileSync(PINS, "utf8")) as Record<string, ReplacementFingerprint>)
        : {};
      if (process.env.DUPLEX_UPDATE_PINS === "1") {
        pins[stage] = current;
        writeFileSync(PINS, `${JSON.stringify(pins, null, 2)}\n`);
      }
      const differences = fingerprintDifferences(pins[stage] ?? {}, current);
      expect(
        differences,
        [
          `This change REPLACES the ${stage} MSK cluster, and with it every record of the log:`,
          ...differences.map((d) => `  ${d}`),
          "If that is intended, read docs/deploy.md (Changes that replace the MSK cluster), then",
          "re-pin with DUPLEX_UPDATE_PINS=1 npx vitest run --project infra test/infra/system-of-record.infra.test.ts",
        ].join("\n"),
      ).toEqual([]);
    },
  );

  it("the pin follows subnets, security group, key and name into the chain", () => {
    const { json, id } = clusterOf("prod");
    const types = Object.values(replacementFingerprint(json, id)).map((e) => e.Type);
    expect(new Set(types)).toEqual(
      new Set([
        "AWS::MSK::Cluster",
        "AWS::EC2::Subnet",
        "AWS::EC2::VPC",
        "AWS::EC2::SecurityGroup",
        "AWS::KMS::Key",
      ]),
    );
  });

  it("docs/deploy.md lists every property whose change replaces the cluster", () => {
    const deploy = readFileSync(join(REPOSITORY_ROOT, "docs", "deploy.md"), "utf8");
    const createOnly = cfnResourceSchema("AWS::MSK::Cluster").createOnlyProperties ?? [];
    expect(createOnly.length).toBeGreaterThan(0);
    for (const path of createOnly) {
      expect(deploy, path).toContain(
        path
          .replace(/^\/properties\//, "")
          .split("/")
          .join("."),
      );
    }
  });

  it.each(STAGES)(
    "%s: broker storage grows by itself (target tracking, scale-out only, MSK's service-linked role)",
    (stage) => {
      const { json, id } = clusterOf(stage);
      const settings = stageSettings(stage).eventLog;
      const targets = Object.values(
        resourcesOfType(json, "AWS::ApplicationAutoScaling::ScalableTarget"),
      );
      expect(targets).toHaveLength(1);
      expect(targets[0]?.Properties).toMatchObject({
        ServiceNamespace: "kafka",
        ScalableDimension: "kafka:broker-storage:VolumeSize",
        ResourceId: { "Fn::GetAtt": [id, "Arn"] },
        MinCapacity: settings.volumeSizeGiB,
        MaxCapacity: settings.storageAutoScaling.maxVolumeSizeGiB,
      });
      const policies = Object.values(
        resourcesOfType(json, "AWS::ApplicationAutoScaling::ScalingPolicy"),
      );
      expect(policies).toHaveLength(1);
      expect(policies[0]?.Properties).toMatchObject({
        PolicyType: "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: "KafkaBrokerStorageUtilization" },
          TargetValue: settings.storageAutoScaling.targetUtilizationPercent,
          DisableScaleIn: true,
        },
      });
    },
  );
});
