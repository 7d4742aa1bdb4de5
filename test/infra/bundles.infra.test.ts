import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundleAll, bundleFunctions, type FunctionBundle } from "../support/bundles.ts";

/**
 * The Lambda bundles, built as CDK's NodejsFunction builds them: kafkajs (only the benchmarks
 * choose it) and packages nothing imports stay out. Sizes: `node test/support/bundles.ts`.
 */

/** Packages no Lambda bundle may contain. */
const forbidden = ["kafkajs", "@aws-lambda-powertools/parser"];

describe("Lambda bundles", () => {
  let bundles: FunctionBundle[] = [];

  it("contain neither kafkajs nor unused packages", async () => {
    bundles = await bundleAll();
    expect(bundles.length).toBeGreaterThan(10);
    for (const bundle of bundles) {
      const present = forbidden.filter((name) => bundle.packages.has(name));
      expect(present, bundle.name).toEqual([]);
      // The default Kafka client is in every log-touching bundle (the check above is not vacuous).
      expect(bundle.packages.has("@platformatic/kafka"), bundle.name).toBe(true);
    }
  });

  it("refuse kafkajs on first use with an error that says why", async () => {
    const [bundle] = await bundleFunctions([
      { name: "kafkajs-in-bundle", entry: "test/support/kafkajs-in-bundle.ts" },
    ]);
    if (bundle === undefined) throw new Error("no bundle");
    expect(bundle.packages.has("kafkajs")).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "duplex-bundle-"));
    try {
      writeFileSync(join(dir, "index.mjs"), bundle.code);
      const out = execFileSync(process.execPath, [join(dir, "index.mjs")], { encoding: "utf8" });
      expect(out).toMatch(/^LogClientUnavailableError: log client 'kafkajs' is not available here/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
