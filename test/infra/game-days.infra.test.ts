import { describe, expect, it } from "vitest";
import { functionDeclarations } from "../../functions/registry.ts";
import { FIS_CONFIG_PREFIX, FIS_EXTENSION_LAYER_PARAMETER } from "../../lib/game-days.ts";
import { allowStatementsOf, functionNamed, functionRoles, renderArn, resourcesFor } from "./iam.ts";
import {
  asArray,
  props,
  referencedId,
  referencedIds,
  resourcesOfType,
  stageSettings,
  synthStage,
} from "./support.ts";

const fastLaneHandlers = functionDeclarations
  .filter((d) => d.trigger.kind === "fast-lane")
  .map((d) => d.name);

describe("game days (FIS) in a stage that opts in", () => {
  const { json } = synthStage("dev", { nag: false });
  const settings = stageSettings("dev").gameDays;
  const templates = Object.values(resourcesOfType(json, "AWS::FIS::ExperimentTemplate")).map(
    (t) => t.Properties as Record<string, unknown>,
  );
  const byAction = (actionId: string) =>
    templates.find((t) =>
      Object.values(t.Actions as Record<string, { ActionId: string }>).some(
        (a) => a.ActionId === actionId,
      ),
    );
  const alarmIds = Object.entries(resourcesOfType(json, "AWS::CloudWatch::Alarm"))
    .filter(([, a]) =>
      /msk-(offline-partitions|under-min-isr|no-active-controller)$/.test(
        String(a.Properties?.AlarmName),
      ),
    )
    .map(([id]) => id)
    .sort();
  const handlerIds = fastLaneHandlers.map((n) => functionNamed(json, `duplex-dev-${n}`)[0]).sort();

  it("is on in dev", () => expect(settings.enabled).toBe(true));

  it.each([
    ["aws:lambda:invocation-error", { preventExecution: "true" }],
    ["aws:lambda:invocation-add-delay", { startupDelayMilliseconds: String(3000) }],
  ])("%s hits exactly the fast-lane handlers, for a bounded time and share", (actionId, extra) => {
    const template = byAction(actionId);
    const action = Object.values(
      template?.Actions as Record<string, { Parameters: Record<string, string> }>,
    )[0];
    expect(action?.Parameters).toEqual({
      duration: `PT${settings.durationMinutes}M`,
      invocationPercentage: String(settings.invocationPercentage),
      ...extra,
    });
    const target = Object.values(
      template?.Targets as Record<string, { ResourceType: string; ResourceArns: unknown[] }>,
    )[0];
    expect(target?.ResourceType).toBe("aws:lambda:function");
    expect(target?.ResourceArns.map((a) => referencedId(a)).sort()).toEqual(handlerIds);
  });

  it("reboots a broker through an SSM Automation document (FIS has no MSK action)", () => {
    const template = byAction("aws:ssm:start-automation-execution");
    const action = Object.values(
      template?.Actions as Record<string, { Parameters: Record<string, unknown> }>,
    )[0];
    expect(action?.Parameters.maxDuration).toBe("PT45M");
    expect(JSON.stringify(action?.Parameters.documentParameters)).toContain("EventLogCluster");
    const doc = props(Object.values(resourcesOfType(json, "AWS::SSM::Document"))[0]);
    expect(doc.DocumentType).toBe("Automation");
    const steps = (
      doc.Content as { mainSteps: { action: string; inputs: Record<string, unknown> }[] }
    ).mainSteps;
    expect(steps.map((s) => s.action)).toEqual([
      "aws:executeAwsApi",
      "aws:sleep",
      "aws:waitForAwsResourceProperty",
    ]);
    expect(steps[0]?.inputs).toMatchObject({ Service: "kafka", Api: "RebootBroker" });
    expect(steps[2]?.inputs).toMatchObject({ DesiredValues: ["ACTIVE"] });
    const automationRole = Object.entries(resourcesOfType(json, "AWS::IAM::Role")).find(([, r]) =>
      JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes("ssm.amazonaws.com"),
    )?.[0];
    const statements = allowStatementsOf(json, automationRole ?? "");
    expect(statements.flatMap((s) => asArray(s.Action)).sort()).toEqual([
      "kafka:DescribeCluster",
      "kafka:RebootBroker",
    ]);
    expect(resourcesFor(statements, "kafka:RebootBroker")).toEqual([
      expect.stringMatching(/^\{EventLogCluster\w+\}$/),
    ]);
  });

  it("stops every experiment when the log itself is in danger", () => {
    expect(templates).toHaveLength(3);
    expect(alarmIds).toHaveLength(3);
    for (const t of templates) {
      const stops = t.StopConditions as { Source: string; Value: unknown }[];
      expect(stops.every((s) => s.Source === "aws:cloudwatch:alarm")).toBe(true);
      expect(stops.map((s) => referencedId(s.Value)).sort()).toEqual(alarmIds);
    }
  });

  it("gives the fast-lane handlers the FIS extension and read access to its configuration only", () => {
    const parameter = Object.entries(json.Parameters ?? {}).find(
      ([, p]) => (p as { Default?: string }).Default === FIS_EXTENSION_LAYER_PARAMETER,
    )?.[0];
    expect(parameter).toBeDefined();
    const roles = functionRoles(json);
    for (const name of fastLaneHandlers) {
      const [id, fn] = functionNamed(json, `duplex-dev-${name}`);
      expect(asArray(fn.Properties?.Layers as unknown[])).toContainEqual({ Ref: parameter });
      const env = (props(fn).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.AWS_LAMBDA_EXEC_WRAPPER).toBe("/opt/aws-fis/bootstrap");
      expect(renderArn(env.AWS_FIS_CONFIGURATION_LOCATION)).toMatch(
        new RegExp(`^\\{GameDaysFisConfig\\w+\\}/${FIS_CONFIG_PREFIX}$`),
      );
      const own = allowStatementsOf(json, roles.get(id) ?? "");
      expect(resourcesFor(own, "s3:GetObject")).toEqual([
        expect.stringMatching(new RegExp(`^\\{GameDaysFisConfig\\w+\\}/${FIS_CONFIG_PREFIX}\\*$`)),
      ]);
    }
    for (const d of functionDeclarations.filter((x) => x.trigger.kind !== "fast-lane")) {
      const [, fn] = functionNamed(json, `duplex-dev-${d.name}`);
      expect(fn.Properties?.Layers, d.name).toBeUndefined();
    }
  });

  it("keeps the configuration bucket private, TLS-only and short-lived", () => {
    const [bucketId, bucket] = Object.entries(resourcesOfType(json, "AWS::S3::Bucket"))[0] ?? [];
    expect(bucket?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 1, Status: "Enabled" }] },
    });
    const policy = Object.values(resourcesOfType(json, "AWS::S3::BucketPolicy"))[0];
    expect(referencedIds(policy?.Properties?.Bucket)).toContain(bucketId);
    expect(JSON.stringify(policy?.Properties?.PolicyDocument)).toContain(
      '"aws:SecureTransport":"false"',
    );
  });
});

describe("game days in a stage that does not opt in", () => {
  it("prod has no experiment, no extension and no bucket", () => {
    const { json } = synthStage("prod", { nag: false });
    expect(stageSettings("prod").gameDays.enabled).toBe(false);
    expect(resourcesOfType(json, "AWS::FIS::ExperimentTemplate")).toEqual({});
    expect(resourcesOfType(json, "AWS::S3::Bucket")).toEqual({});
    for (const name of fastLaneHandlers) {
      const [, fn] = functionNamed(json, `duplex-prod-${name}`);
      expect(fn.Properties?.Layers).toBeUndefined();
    }
  });
});
