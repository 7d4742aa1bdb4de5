#!/usr/bin/env node
/**
 * `npm run drill -- <name>...|all|list [--brokers 1|3]` — fault drills on the local stack: each runs
 * the order workload, injects its fault, heals it, and ends in the history check and the business
 * invariants, printing `acknowledged N, refused R, lost 0, duplicate effects 0, invariants ok` or
 * what broke (exit 1). The drills are listed in `localstack/drills/catalog.ts` and
 * `docs/reliability.md`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bold, green, red } from "./demo/progress.ts";
import { drillCatalog } from "./drills/catalog.ts";
import type { DrillResult } from "./drills/runner.ts";
import { DrillUsageError, plannedDrill, runDrill } from "./drills/runner.ts";
import { describeStackError } from "./stack/index.ts";
import { duplexHome } from "./stack/paths.ts";

const usage = `usage: npm run drill -- <name>...|all|list [options]

Runs fault drills on the local stack under the order workload; each ends in the history check
and the invariants. \`all\` runs every drill that applies to the broker count.

options:
  --brokers 1|3   Kafka brokers (default 1; some drills need 3). The stack is restarted if it
                  runs with another count.
  --orders N      orders placed during each drill (default 120)
  --rate R        orders per second (default 3)
  --keep          keep each drill's session (topics, tables, history) for inspection
  --json          print the results as JSON at the end
  -h, --help      this text

drills:
${drillCatalog.map((d) => `  ${d.name.padEnd(24)} ${d.description}${d.brokers.includes(1) ? "" : " [3 brokers]"}`).join("\n")}

Results are also written to .duplex/drills/<time>.json.`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${usage}\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    brokers: { type: "string", default: "1" },
    orders: { type: "string", default: "120" },
    rate: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const target = positionals[0];
if (target === undefined) fail("name a drill, `all`, or `list`");
if (target === "list") {
  for (const d of drillCatalog) {
    console.log(`${d.name.padEnd(24)} [${d.brokers.join("|")} broker(s)] ${d.description}`);
  }
  process.exit(0);
}
if (values.brokers !== "1" && values.brokers !== "3") fail("--brokers must be 1 or 3");
const brokers = values.brokers === "1" ? 1 : 3;
const orders = Number(values.orders);
const rate = Number(values.rate);
if (!Number.isInteger(orders) || orders < 10) fail("--orders must be a whole number ≥ 10");
if (!Number.isFinite(rate) || rate <= 0) fail("--rate must be a positive number");

const names =
  target === "all"
    ? drillCatalog.filter((d) => d.brokers.includes(brokers)).map((d) => d.name)
    : positionals;
try {
  for (const name of names) plannedDrill(name, brokers);
} catch (error) {
  if (error instanceof DrillUsageError) fail(error.message);
  throw error;
}

const say = (line: string) => {
  if (!values.json) console.log(line);
};
const results: DrillResult[] = [];
const tty = process.stdout.isTTY === true && !values.json;
const dir = join(duplexHome, "drills");
mkdirSync(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().replaceAll(":", "-")}.json`);
// Written after each drill: a long `all` that is interrupted keeps what it finished.
const save = () =>
  writeFileSync(file, `${JSON.stringify({ brokers, orders, rate, results }, null, 2)}\n`);
try {
  for (const name of names) {
    results.push(
      await runDrill(name, { brokers, orders, rate, keep: values.keep, live: tty, say }),
    );
    save();
  }
} catch (error) {
  console.error(red(`drill aborted: ${describeStackError(error)}`));
  if (error instanceof Error && error.stack) console.error(error.stack);
  process.exitCode = 1;
}

save();

if (values.json) {
  console.log(JSON.stringify(results, null, 2));
} else if (results.length > 1 || names.length > 1) {
  say("");
  say(bold(`drills (${brokers} broker${brokers === 1 ? "" : "s"})`));
  for (const r of results) {
    const h = r.history;
    say(
      `${r.ok ? green("✓") : red("✗")} ${r.name.padEnd(24)} acknowledged ${h?.acknowledged ?? "–"}, refused ${h?.refused ?? "–"}, lost ${h?.lost ?? "–"}, duplicate effects ${h?.duplicateEffects ?? "–"}, invariants ${r.invariants.every((i) => i.ok) ? "ok" : "BROKEN"}`,
    );
  }
  say(`results: ${file}`);
}
const failed = results.filter((r) => !r.ok).length + (results.length < names.length ? 1 : 0);
process.exit(failed === 0 && process.exitCode !== 1 ? 0 : 1);
