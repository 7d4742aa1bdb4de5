/**
 * Where an action with a `*` appears in the templates, exactly, so that docs/deploy.md can say it
 * truthfully: no identity policy (function roles, CDK's helper roles, FIS and SSM roles) has one;
 * key policies give the account root `kms:*` (CDK's default, which delegates the key to IAM in the
 * account) and EventBridge `kms:GenerateDataKey*`/`kms:ReEncrypt*`; queue and bucket policies
 * *deny* `sqs:*`/`s3:*` without TLS.
 */
import { describe, expect, it } from "vitest";
import { STAGE_NAMES } from "../../lib/stages.ts";
import { identityStatements } from "./iam.ts";
import { asArray, stageSettings, synthStage } from "./support.ts";

interface Found {
  readonly type: string;
  readonly effect: string;
  readonly action: string;
  readonly principal: string;
}

/** Every statement of every policy-bearing property whose action holds a `*`. */
function wildcardActions(json: ReturnType<typeof synthStage>["json"]): Found[] {
  const found: Found[] = [];
  const walk = (value: unknown, type: string): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v, type);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const o = value as Record<string, unknown>;
    for (const key of ["Action", "NotAction"]) {
      for (const action of asArray(o[key] as string | string[] | undefined)) {
        if (typeof action === "string" && action.includes("*")) {
          found.push({
            type,
            effect: String(o.Effect),
            action,
            principal: JSON.stringify(o.Principal ?? null),
          });
        }
      }
    }
    for (const v of Object.values(o)) walk(v, type);
  };
  for (const resource of Object.values(json.Resources)) walk(resource.Properties, resource.Type);
  return found;
}

describe.each(STAGE_NAMES)("actions with a wildcard in %s", (stage) => {
  const { json } = synthStage(stage, { nag: false });
  const found = wildcardActions(json);

  it("none in any identity policy (function roles, CDK's helper roles, FIS and SSM roles)", () => {
    const actions = identityStatements(json).flatMap(({ statement }) => asArray(statement.Action));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
  });

  it("only in key policies (account root, EventBridge) and in TLS-only Deny statements", () => {
    const kinds = [...new Set(found.map((f) => `${f.type} ${f.effect} ${f.action}`))].sort();
    expect(kinds).toEqual(
      [
        "AWS::KMS::Key Allow kms:*",
        "AWS::KMS::Key Allow kms:GenerateDataKey*",
        "AWS::KMS::Key Allow kms:ReEncrypt*",
        "AWS::SQS::QueuePolicy Deny sqs:*",
        // The FIS configuration bucket exists only where game days are on.
        ...(stageSettings(stage).gameDays.enabled ? ["AWS::S3::BucketPolicy Deny s3:*"] : []),
      ].sort(),
    );
    for (const f of found.filter((f) => f.action === "kms:*")) {
      expect(f.principal).toMatch(/:root"\]\]\}\}$/);
    }
    for (const f of found.filter((f) => /^kms:(GenerateDataKey|ReEncrypt)\*$/.test(f.action))) {
      expect(f.principal).toBe('{"Service":"events.amazonaws.com"}');
    }
  });
});
