import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The import rules of `biome.json` (run by `npm run check`) fire: the project's own Biome
 * config is copied into a scratch tree of fixture files, each breaking one rule (or keeping it),
 * and Biome's JSON report must name exactly the breaking imports.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const biome = join(root, "node_modules", ".bin", "biome");

/** Fixture files: path → source. Each `// bad` import must be reported, every other one not. */
const fixtures: Record<string, string> = {
  "events/catalog/ok.ts": `import { z } from "zod";\nimport { id } from "../ids.ts";\nexport const ok = [z, id];\n`,
  "events/ids.ts": `export const id = "x";\n`,
  "events/up-to-functions.ts": `import { kit } from "../functions/kit/kit.ts"; // bad\nexport const a = kit;\n`,
  "events/up-to-lib.ts": `import { stack } from "../lib/stack.ts"; // bad\nexport const a = stack;\n`,
  "functions/kit/kit.ts": `import { id } from "../../events/ids.ts";\nexport const kit = id;\n`,
  "functions/kit/up-to-localstack.ts": `import { host } from "../../localstack/host.ts"; // bad\nexport const a = host;\n`,
  "functions/kit/up-to-lib.ts": `import { stack } from "../../lib/stack.ts"; // bad\nexport const a = stack;\n`,
  "functions/kit/up-to-bin.ts": `import { cli } from "../../bin/cli.ts"; // bad\nexport const a = cli;\n`,
  "functions/domain/pure.ts": `import type { id } from "../../events/ids.ts";\nimport { rule } from "./rule.ts";\nexport const pure: typeof id = rule;\n`,
  "functions/domain/rule.ts": `export const rule = "x";\n`,
  "functions/domain/impure.ts": [
    `import { DynamoDBClient } from "@aws-sdk/client-dynamodb"; // bad`,
    `import { Kafka } from "kafkajs"; // bad`,
    `import { Producer } from "@platformatic/kafka"; // bad`,
    `import { readFileSync } from "node:fs"; // bad`,
    `import { connect } from "node:net"; // bad`,
    `import { kit } from "../kit/kit.ts"; // bad`,
    `export const impure = [DynamoDBClient, Kafka, Producer, readFileSync, connect, kit];`,
    ``,
  ].join("\n"),
  "lib/stack.ts": `import { kit } from "../functions/kit/kit.ts";\nimport { id } from "../events/ids.ts";\nexport const stack = [kit, id];\n`,
  "lib/to-localstack.ts": `import { host } from "../localstack/host.ts"; // bad\nexport const a = host;\n`,
  "localstack/host.ts": `import { kit } from "../functions/kit/kit.ts";\nexport const host = kit;\n`,
  "localstack/to-lib.ts": `import { stack } from "../lib/stack.ts"; // bad\nexport const a = stack;\n`,
  "localstack/to-bin.ts": `import { cli } from "../bin/cli.ts"; // bad\nexport const a = cli;\n`,
  "bin/cli.ts": `import { stack } from "../lib/stack.ts";\nimport { host } from "../localstack/host.ts";\nimport { helper } from "./helper.ts";\nexport const cli = [stack, host, helper];\n`,
  "bin/helper.ts": `export const helper = 1;\n`,
  // A cycle (type-only imports count too: the design allows none).
  "functions/kit/cycle-a.ts": `import { b } from "./cycle-b.ts"; // cycle\nexport const a = () => b;\n`,
  "functions/kit/cycle-b.ts": `import type { a } from "./cycle-a.ts"; // cycle\nexport const b = 1 as unknown as typeof a;\n`,
};

interface Diagnostic {
  readonly category: string;
  readonly location: { readonly path: string; readonly start: { readonly line: number } };
}

let scratch: string;
let reported: string[];

/** `path:line rule` of every line a fixture marks, for comparison with what Biome reports. */
function expected(marker: "bad" | "cycle", rule: string): string[] {
  return Object.entries(fixtures).flatMap(([path, source]) =>
    source
      .split("\n")
      .flatMap((line, index) =>
        line.endsWith(`// ${marker}`) ? [`${path}:${index + 1} ${rule}`] : [],
      ),
  );
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "duplex-import-rules-"));
  copyFileSync(join(root, "biome.json"), join(scratch, "biome.json"));
  for (const [path, source] of Object.entries(fixtures)) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), source);
  }
  let out: string;
  try {
    out = execFileSync(
      biome,
      ["lint", "--reporter=json", "--vcs-enabled=false", "--max-diagnostics=none", "."],
      { cwd: scratch, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (error) {
    // Biome exits non-zero when it reports errors, which is what this test wants.
    out = (error as { stdout: string }).stdout;
  }
  const report = JSON.parse(out) as { diagnostics: Diagnostic[] };
  reported = report.diagnostics
    .filter((d) => /noRestrictedImports|noImportCycles/.test(d.category))
    .map((d) => `${d.location.path}:${d.location.start.line} ${d.category.split("/").pop()}`)
    .sort();
});

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe("import rules (biome.json, part of npm run check)", () => {
  it("report every wrong-way import, impure domain import and cycle, and nothing else", () => {
    expect(reported).toEqual(
      [...expected("bad", "noRestrictedImports"), ...expected("cycle", "noImportCycles")].sort(),
    );
  });

  it("cover each rule the design names", () => {
    const files = new Set(reported.map((r) => r.split(":")[0]));
    for (const file of [
      "events/up-to-functions.ts",
      "functions/kit/up-to-lib.ts",
      "functions/kit/up-to-localstack.ts",
      "functions/kit/up-to-bin.ts",
      "functions/domain/impure.ts",
      "lib/to-localstack.ts",
      "localstack/to-lib.ts",
      "localstack/to-bin.ts",
      "functions/kit/cycle-a.ts",
    ]) {
      expect(files, file).toContain(file);
    }
  });
});
