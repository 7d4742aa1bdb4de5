import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Stack, Validations } from "aws-cdk-lib";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { describe, expect, it } from "vitest";
import { buildDuplexApp } from "../../lib/app.ts";
import { applyNagPacks } from "../../lib/nag.ts";
import { stageSettings, synthStage, testApp } from "./support.ts";

/**
 * cdk-nag's AWS Solutions and Serverless packs run as synthesis validations: a finding that is
 * not acknowledged fails synthesis. Every acknowledgement sits on the construct it concerns and
 * says why.
 */

/** Every rule acknowledged in the app: rule id → reasons (one per construct). */
function acknowledgements(stage: "dev" | "prod"): Map<string, string[]> {
  const { app } = synthStage(stage);
  const found = new Map<string, string[]>();
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const rule = id.replace(/^Annotation::/, "");
        found.set(rule, [...(found.get(rule) ?? []), reason]);
      }
    }
  }
  return found;
}

describe.each(["dev", "prod"] as const)("cdk-nag on stage %s", (stage) => {
  it("synthesizes with the AwsSolutions and Serverless packs and reports no finding at all", () => {
    const { outdir } = synthStage(stage); // throws on any unacknowledged error
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8")) as {
      pluginReports: { violations?: unknown[] }[];
    };
    const violations = report.pluginReports.flatMap((r) => r.violations ?? []);
    expect(violations).toEqual([]);
  });

  it("gives every acknowledgement a reason", () => {
    for (const [rule, reasons] of acknowledgements(stage)) {
      for (const reason of reasons) {
        expect(reason.trim().length, `reason of ${rule}`).toBeGreaterThan(40);
      }
    }
  });

  it("acknowledges only the rules reviewed for Duplex", () => {
    expect(
      [...acknowledgements(stage).keys()]
        .filter((r) => /^(AwsSolutions|Serverless)-/.test(r))
        .sort(),
    ).toEqual(
      [
        // Dead-letter queues have no DLQ of their own; rule-target and bus DLQs are not recognised.
        "AwsSolutions-SQS3",
        "Serverless-SQSRedrivePolicy",
        // EC2 network-interface and X-Ray actions have no resource-level permissions.
        "AwsSolutions-IAM5[Resource::*]",
        // ESM-invoked functions (SQS, MSK) and deploy-time helpers have no async invocations.
        "Serverless-LambdaDLQ",
        // SQS event source mappings take no on-failure destination (the queue's DLQ does it).
        "Serverless-LambdaEventSourceMappingDestination",
        // aws-cdk-lib's own deploy-time functions (provider framework, AwsCustomResource).
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "Serverless-LambdaTracing",
        "Serverless-LambdaDefaultMemorySize",
      ]
        .concat(
          [...acknowledgements(stage).keys()].filter((r) =>
            /^AwsSolutions-IAM5\[Resource::<.*>:\*\]$/.test(r),
          ),
        )
        // Game days (stages that opt in): FIS's configuration bucket and its reboot automation.
        .concat(
          [...acknowledgements(stage).keys()].filter(
            (r) =>
              stageSettings(stage).gameDays.enabled &&
              (r === "AwsSolutions-S1" ||
                /^AwsSolutions-IAM5\[Resource::<GameDaysFisConfig\w+\.Arn>\/FisConfigs\/\*\]$/.test(
                  r,
                ) ||
                /^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-(execution\/\*|definition\/<GameDaysRebootBroker\w+>:\*)\]$/.test(
                  r,
                )),
          ),
        )
        .sort(),
    );
  });
});

describe("acknowledgements", () => {
  it("each answer a finding the packs really report, at or under the construct they sit on", () => {
    const recorded: { path: string; id: string }[] = [];
    const original = Validations.prototype.acknowledge;
    Validations.prototype.acknowledge = function (this: Validations, ...rules) {
      const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
      for (const rule of rules) recorded.push({ path: scope.node.path, id: rule.id });
    };
    let outdir: string;
    try {
      const app = testApp({ stage: "dev" });
      buildDuplexApp(app);
      expect(() => app.synth()).toThrow();
      outdir = app.outdir;
    } finally {
      Validations.prototype.acknowledge = original;
    }
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8")) as {
      pluginReports: {
        violations?: { ruleName: string; violatingConstructs?: { constructPath: string }[] }[];
      }[];
    };
    const findings = report.pluginReports.flatMap((r) =>
      (r.violations ?? []).flatMap((v) =>
        (v.violatingConstructs ?? []).map((c) => ({ rule: v.ruleName, path: c.constructPath })),
      ),
    );
    const ours = recorded.filter((a) => /^(AwsSolutions|Serverless)-/.test(a.id));
    const covers = (a: { path: string; id: string }, f: { rule: string; path: string }) =>
      f.rule === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`));
    expect(ours.filter((a) => !findings.some((f) => covers(a, f)))).toEqual([]);
    expect(findings.filter((f) => !ours.some((a) => covers(a, f)))).toEqual([]);
    expect(findings.length).toBeGreaterThan(0);
  });
});

describe("the packs are live", () => {
  it("fail synthesis on an unacknowledged finding", () => {
    const app = testApp();
    new Queue(new Stack(app, "Bad"), "Plain");
    applyNagPacks(app);
    expect(() => app.synth()).toThrow(
      /AwsSolutions-SQS3|AwsSolutions-SQS4|Serverless-SQSRedrivePolicy/,
    );
  });
});
