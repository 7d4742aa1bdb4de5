import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { allEventDefinitions } from "../../events/registry.ts";
import { ENV } from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { fastLaneCommands } from "../../lib/routes.ts";
import { tempDir } from "../support/temp-dirs.ts";
import { cfnLint } from "./cfn-lint.ts";
import { props, REPOSITORY_ROOT, resourcesOfType, type TemplateJson } from "./support.ts";

/**
 * The real thing, offline: `cdk synth` of every stage through the CDK CLI (bundling every function
 * with esbuild, running cdk-nag), cfn-lint over the templates, and every bundle loaded in Node 24
 * with the environment its template gives it.
 */

const STAGES = ["dev", "prod"] as const;
const BIN = join(REPOSITORY_ROOT, "node_modules", ".bin");

interface StageSynth {
  readonly outdir: string;
  readonly template: TemplateJson;
  readonly templatePath: string;
  readonly seconds: number;
}

const synths = new Map<string, StageSynth>();

/** Runs `cdk synth -c stage=<stage>` in a child process. */
function cdkSynth(stage: string): Promise<StageSynth> {
  const outdir = tempDir(`duplex-cdk-${stage}-`);
  const started = Date.now();
  const child = spawn(
    join(BIN, "cdk"),
    ["synth", "--no-notices", "--quiet", "-c", `stage=${stage}`, "-o", outdir],
    {
      cwd: REPOSITORY_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        // The Node 24 of node_modules runs the app (`node bin/app.ts`), not the system one.
        PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}`,
        CDK_DISABLE_CLI_TELEMETRY: "true",
        CI: "true",
      },
    },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(
          new Error(`cdk synth -c stage=${stage} failed (exit ${code}):\n${stderr.slice(-6000)}`),
        );
        return;
      }
      const templatePath = join(outdir, `Duplex-${stage}.template.json`);
      resolve({
        outdir,
        templatePath,
        template: JSON.parse(readFileSync(templatePath, "utf8")) as TemplateJson,
        seconds: (Date.now() - started) / 1000,
      });
    });
  });
}

function synthOf(stage: string): StageSynth {
  const synth = synths.get(stage);
  if (!synth) throw new Error(`stage ${stage} was not synthesized`);
  return synth;
}

/** A stand-in for each environment value CloudFormation resolves at deploy time. */
function placeholderEnvironment(variables: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === "string") env[name] = value;
    else if (name === ENV.fastLaneQueues)
      env[name] = JSON.stringify(
        Object.fromEntries(
          fastLaneCommands(allEventDefinitions()).map((c) => [
            c,
            `https://sqs.eu-west-1.amazonaws.com/111122223333/duplex-dev-${c}`,
          ]),
        ),
      );
    else if (name === ENV.kafkaBrokers)
      env[name] = "b-1.duplex.example:9098,b-2.duplex.example:9098";
    else env[name] = `placeholder-${name.toLowerCase()}`;
  }
  return env;
}

describe("cdk synth through the CLI", () => {
  beforeAll(async () => {
    // One after the other: each CLI run bundles its 15 functions with esbuild, which already
    // uses every core.
    for (const stage of STAGES) {
      const synth = await cdkSynth(stage);
      synths.set(stage, synth);
      console.log(`cdk synth -c stage=${stage}: ${synth.seconds.toFixed(1)} s (bundling included)`);
    }
  }, 20 * 60_000);

  it.each(STAGES)("synthesizes stage %s offline, bundling every function", (stage) => {
    const { template, outdir } = synthOf(stage);
    const functions = Object.values(resourcesOfType(template, "AWS::Lambda::Function")).filter(
      (f) => String(f.Properties?.FunctionName ?? "").startsWith(`duplex-${stage}-`),
    );
    expect(functions).toHaveLength(functionDeclarations.length);
    for (const fn of functions) {
      const assetPath = String(fn.Metadata?.["aws:asset:path"]);
      expect(existsSync(join(outdir, assetPath, "index.mjs")), assetPath).toBe(true);
    }
  });

  it(
    "passes cfn-lint with no error, in two regions",
    () => {
      const findings = cfnLint(
        STAGES.map((s) => synthOf(s).templatePath),
        ["us-east-1", "eu-west-1"],
      );
      const errors = findings.filter((f) => f.Level === "Error");
      expect(
        errors.map((e) => `${e.Rule.Id} ${e.Message} at ${e.Location.Path?.join("/")}`),
      ).toEqual([]);
      const warnings = findings.filter((f) => f.Level === "Warning");
      console.log(
        `cfn-lint: 0 errors, ${warnings.length} warnings (${[...new Set(warnings.map((w) => w.Rule.Id))].join(", ") || "none"})`,
      );
    },
    10 * 60_000,
  );

  it(
    "bundles every handler as an ESM module that loads in Node 24 with its template's environment",
    () => {
      const { template, outdir } = synthOf("dev");
      const failures: string[] = [];
      for (const fn of Object.values(resourcesOfType(template, "AWS::Lambda::Function"))) {
        const name = String(fn.Properties?.FunctionName ?? "");
        if (!name.startsWith("duplex-dev-")) continue;
        const bundle = join(outdir, String(fn.Metadata?.["aws:asset:path"]), "index.mjs");
        const variables = (props(fn).Environment as { Variables: Record<string, unknown> })
          .Variables;
        const result = spawnSync(
          join(BIN, "node"),
          [
            "--input-type=module",
            "-e",
            `const m = await import(${JSON.stringify(bundle)}); if (typeof m.handler !== "function") { console.error("no handler export"); process.exit(2); }`,
          ],
          {
            cwd: tmpdir(),
            encoding: "utf8",
            timeout: 60_000,
            env: {
              PATH: process.env.PATH ?? "",
              ...placeholderEnvironment(variables),
              AWS_REGION: "eu-west-1",
              AWS_DEFAULT_REGION: "eu-west-1",
              AWS_ACCESS_KEY_ID: "AKIAPLACEHOLDER",
              AWS_SECRET_ACCESS_KEY: "placeholder",
              AWS_LAMBDA_FUNCTION_NAME: name,
              AWS_EC2_METADATA_DISABLED: "true",
            },
          },
        );
        if (result.status !== 0)
          failures.push(`${name}: ${(result.stderr || String(result.error)).slice(0, 600)}`);
      }
      expect(failures).toEqual([]);
    },
    10 * 60_000,
  );
});
