import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { type BuildDuplexAppOptions, buildDuplexApp } from "../../lib/app.ts";
import type { DuplexStack } from "../../lib/duplex-stack.ts";
import { loadStageSettings, type StageName, type StageSettings } from "../../lib/stages.ts";
import { tempDir } from "../support/temp-dirs.ts";

/** Shared helpers of the infrastructure tests: the repository's CDK context and synthesis. */

export const REPOSITORY_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The `context` of cdk.json (feature flags and stage settings). */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPOSITORY_ROOT, "cdk.json"), "utf8")) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** The validated settings of a stage, as cdk.json defines them. */
export function stageSettings(stage: StageName): StageSettings {
  const context = cdkContext();
  return loadStageSettings({ tryGetContext: (key) => context[key] }, stage);
}

/** A fresh app with the repository's context, without bundling (fast). */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    outdir: tempDir("duplex-infra-"),
    context: { ...cdkContext(), "aws:cdk:bundling-stacks": [], ...context },
  });
}

/** A bare stack to test one construct in. */
export function testStack(context: Record<string, unknown> = {}): Stack {
  return new Stack(testApp(context), "Test");
}

/** A synthesized Duplex stage. */
export interface SynthesizedStage {
  readonly app: App;
  readonly stack: DuplexStack;
  readonly template: Template;
  /** The raw template. */
  readonly json: TemplateJson;
  readonly outdir: string;
}

/** The parts of a CloudFormation template the tests read. */
export interface TemplateJson {
  readonly Resources: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, unknown>;
  readonly Rules?: Record<string, unknown>;
  readonly Parameters?: Record<string, unknown>;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

const cache = new Map<string, SynthesizedStage>();

/**
 * Synthesizes a stage in-process (no bundling), with cdk-nag unless told otherwise. Cached per
 * stage and options within a test file.
 */
export function synthStage(
  stage: StageName,
  options: BuildDuplexAppOptions & { readonly context?: Record<string, unknown> } = {},
): SynthesizedStage {
  const key = JSON.stringify({ stage, nag: options.nag ?? true, context: options.context ?? {} });
  const cached = options.stackProps ? undefined : cache.get(key);
  if (cached) return cached;
  const app = testApp({ stage, ...options.context });
  const stack = buildDuplexApp(app, options);
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template as TemplateJson;
  const result = {
    app,
    stack,
    template: Template.fromJSON(json as unknown as Record<string, unknown>),
    json,
    outdir: assembly.directory,
  };
  if (!options.stackProps) cache.set(key, result);
  return result;
}

/** The properties of a resource; fails the test when there are none. */
export function props(resource: CfnResourceJson | undefined): Record<string, unknown> {
  if (resource?.Properties === undefined) throw new Error("expected a resource with properties");
  return resource.Properties;
}

/** Resources of one type, by logical id. */
export function resourcesOfType(json: TemplateJson, type: string): Record<string, CfnResourceJson> {
  return Object.fromEntries(Object.entries(json.Resources).filter(([, r]) => r.Type === type));
}

/** The logical id a `Ref` or `Fn::GetAtt` points to, if the value is one. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === "string") return v.Ref;
  const getAtt = v["Fn::GetAtt"];
  if (Array.isArray(getAtt) && typeof getAtt[0] === "string") return getAtt[0];
  return undefined;
}

/** Every logical id referenced anywhere inside a value. */
export function referencedIds(value: unknown): Set<string> {
  const ids = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item);
      return;
    }
    if (typeof v !== "object" || v === null) return;
    const id = referencedId(v);
    if (id) ids.add(id);
    for (const inner of Object.values(v)) walk(inner);
  };
  walk(value);
  return ids;
}

/** `x` as an array (IAM allows a single value or a list). */
export function asArray<T>(x: T | T[] | undefined): T[] {
  if (x === undefined) return [];
  return Array.isArray(x) ? x : [x];
}
