#!/usr/bin/env node
/**
 * `npm run catalog:check` — fails (exit 1), naming type, version and field, when the catalog is
 * inconsistent, a version breaks its type's compatibility mode, or the exported JSON Schemas are
 * stale. `npm run catalog:export` — rewrites `events/schemas/`.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { checkCatalogCompatibility, formatCompatibilityIssue } from "../events/compatibility.ts";
import { catalogSchemaFiles, renderSchemaFile } from "../events/json-schema.ts";
import { allEventDefinitions } from "../events/registry.ts";
import { topicSpecs, validateTopicSpecs } from "../events/topics.ts";

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), "..", "events", "schemas");

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(schemaDir, join(e.parentPath, e.name)))
    .sort();
}

async function exportSchemas(): Promise<void> {
  const files = catalogSchemaFiles(allEventDefinitions());
  await rm(schemaDir, { recursive: true, force: true });
  for (const file of files) {
    const path = join(schemaDir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, renderSchemaFile(file));
  }
  console.log(`wrote ${files.length} schema files to ${relative(process.cwd(), schemaDir)}/`);
}

async function check(): Promise<number> {
  const problems: string[] = [];
  const definitions = allEventDefinitions();
  try {
    validateTopicSpecs(topicSpecs);
  } catch (error) {
    problems.push((error as Error).message);
  }
  for (const issue of checkCatalogCompatibility(definitions)) {
    problems.push(formatCompatibilityIssue(issue));
  }

  const expected = catalogSchemaFiles(definitions);
  const present = new Set(await listFiles(schemaDir));
  for (const file of expected) {
    const text = await readFile(join(schemaDir, file.path), "utf8").catch(() => undefined);
    if (text === undefined) problems.push(`events/schemas/${file.path} is missing`);
    else if (text !== renderSchemaFile(file)) problems.push(`events/schemas/${file.path} is stale`);
    present.delete(file.path);
  }
  for (const extra of present) problems.push(`events/schemas/${extra} is not in the catalog`);
  if (problems.some((p) => p.startsWith("events/schemas/"))) {
    problems.push("→ run `npm run catalog:export` and commit events/schemas/");
  }

  const versions = definitions.reduce((n, d) => n + d.versions.length, 0);
  const critical = definitions.filter((d) => d.critical).length;
  if (problems.length > 0) {
    console.error(`catalog check failed (${problems.length} problem(s)):`);
    for (const p of problems) console.error(`  - ${p}`);
    return 1;
  }
  console.log(
    `catalog ok: ${definitions.length} types (${critical} critical commands), ${versions} versions, ` +
      `${Object.keys(topicSpecs).length} topics, compatibility and schemas up to date`,
  );
  return 0;
}

const command = process.argv[2];
if (command === "export") {
  await exportSchemas();
} else if (command === "check") {
  process.exitCode = await check();
} else {
  console.error("usage: node bin/catalog.ts check|export");
  process.exitCode = 2;
}
