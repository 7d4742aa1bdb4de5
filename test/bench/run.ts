/**
 * `npm run bench` — Duplex's benchmark harness. Not a test: nothing is asserted; it prints tables
 * and writes a JSON record under `.duplex/bench/`. See docs/benchmarks.md for the method.
 *
 *   npm run bench                                  # every suite, standard sizes
 *   npm run bench -- --only codec,kit              # a subset
 *   npm run bench -- --quick                       # small sizes (a smoke run, ~2 minutes)
 *   npm run bench -- --only publish --records 50000 --reps 5 --batch 200 --concurrency 5
 *   npm run bench -- --only memory --memory-minutes 5
 *   npm run bench -- --only rebuild --events 1000000
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { duplexHome } from "../../localstack/stack/paths.ts";
import { progress, type SuiteReport } from "./lib/harness.ts";
import { BenchLog } from "./lib/log.ts";
import { capacitySuite } from "./suites/capacity.ts";
import { codecSuite } from "./suites/codec.ts";
import { consumeSuite } from "./suites/consume.ts";
import { fastLaneSuite } from "./suites/fast-lane.ts";
import { httpApiSuite } from "./suites/http-api.ts";
import { kitSuite } from "./suites/kit.ts";
import { memorySuite } from "./suites/memory.ts";
import { partitionerSuite } from "./suites/partitioner.ts";
import { publishSuite } from "./suites/publish.ts";
import { rebuildSuite } from "./suites/rebuild.ts";

const SUITES = [
  "codec",
  "kit",
  "partitioner",
  "publish",
  "consume",
  "fast-lane",
  "memory",
  "http-api",
  "rebuild",
  "capacity",
] as const;
type SuiteName = (typeof SUITES)[number];

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    quick: { type: "boolean", default: false },
    records: { type: "string" },
    reps: { type: "string" },
    batch: { type: "string" },
    concurrency: { type: "string" },
    partitions: { type: "string" },
    samples: { type: "string" },
    "memory-minutes": { type: "string" },
    "memory-rate": { type: "string" },
    requests: { type: "string" },
    rates: { type: "string" },
    "rate-seconds": { type: "string" },
    burst: { type: "string" },
    "capacity-failure-share": { type: "string" },
    "capacity-timeout": { type: "string" },
    "no-count": { type: "boolean", default: false },
    "no-java": { type: "boolean", default: false },
    events: { type: "string" },
    "dynamo-max": { type: "string" },
    "flush-events": { type: "string" },
    "keep-log": { type: "string" },
    "queries-only": { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`npm run bench -- [options]
  --only <list>          suites, comma-separated: ${SUITES.join(", ")} (default: all)
  --quick                small sizes, for a smoke run
  --reps <n>             repetitions of each interleaved comparison (default 6; quick 2)
  --records <n>          records per publish/consume run (default 20000; quick 5000)
  --batch <n>            events per send/publish call (default 200)
  --concurrency <n>      calls in flight in the publish loop (default 5)
  --partitions <n>       partitions of the bench topics (default 12, like order-events)
  --samples <n>          fast-lane latency samples per path (default 300; quick 40)
  --memory-minutes <m>   publisher memory run length (default 5; quick 0.5)
  --memory-rate <n>      events/s during the memory run (default 1000)
  --requests <n>         HTTP API requests per run (default 2000; quick 300), --concurrency in flight (default 16 there)
  --rates <list>         capacity: paced runs, orders/s, comma-separated (default 4,8,12,16; quick 4)
  --rate-seconds <s>     capacity: how long each paced run places orders (default 40; quick 15)
  --burst <n>            capacity: orders of the burst run, 0 to skip (default 1000; quick 100)
  --capacity-failure-share <f>  capacity: share of orders designed to fail (default 0)
  --capacity-timeout <s> capacity: give up on a run's orders after s seconds (default 900)
  --no-count             capacity: do not count requests through the proxy
                         (the proxy's port: DUPLEX_BENCH_COUNTER_PORT, and the next one; default: any free)
  --no-java              skip Kafka's Java ProducerPerformance
  --events <n>           rebuild: one log size instead of 10^4, 10^5, 10^6 (quick: 10^4)
  --dynamo-max <n>       rebuild: largest log also rebuilt into DynamoDB Local (default 100000)
  --flush-events <n>     rebuild: events folded per batch write (default 10000)
  --keep-log <name>      rebuild: keep the generated log (session bench-keep-<name>) and grow it
                         from where an earlier run with that name left it
  --queries-only         rebuild: time trace and state --at only, no rebuilds
  --out <file>           JSON output (default .duplex/bench/<timestamp>.json)`);
  process.exit(0);
}

const quick = values.quick;
const int = (raw: string | undefined, fallback: number) => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`expected a positive number, got '${raw}'`);
  return n;
};
const selected: SuiteName[] =
  values.only === undefined
    ? [...SUITES]
    : values.only.split(",").map((s) => {
        const name = s.trim() as SuiteName;
        if (!SUITES.includes(name)) throw new Error(`unknown suite '${s}' (${SUITES.join(", ")})`);
        return name;
      });
const reps = int(values.reps, quick ? 2 : 6);
const records = int(values.records, quick ? 5_000 : 20_000);
const partitions = int(values.partitions, 12);

function javaVersion(): string {
  // `java -version` prints on stderr.
  const { stdout, stderr } = spawnSync("java", ["-version"], { encoding: "utf8" });
  return `${stderr ?? ""}${stdout ?? ""}`.split("\n")[0]?.trim() || "unknown";
}

function kafkaLoad(): string {
  try {
    return execFileSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    return loadavg().join(" ");
  }
}

const startedAt = new Date();
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "unknown",
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  java: javaVersion(),
  loadBefore: loadavg(),
  uptimeBefore: kafkaLoad(),
};
progress(
  `suites: ${selected.join(", ")}; ${machine.cpus} CPUs, load ${machine.loadBefore.map((l) => l.toFixed(2)).join(" ")}`,
);

const log = new BenchLog();
const reports: SuiteReport[] = [];
const errors: { suite: string; error: string }[] = [];
try {
  for (const suite of selected) {
    progress(`suite ${suite}`);
    try {
      switch (suite) {
        case "codec":
          reports.push(codecSuite({ quick }));
          break;
        case "kit":
          reports.push(await kitSuite({ quick }));
          break;
        case "partitioner":
          reports.push(await partitionerSuite(log, { partitions }));
          break;
        case "publish":
          reports.push(
            await publishSuite(log, {
              records,
              reps,
              batch: int(values.batch, 200),
              concurrency: int(values.concurrency, 5),
              partitions,
              java: !values["no-java"],
            }),
          );
          break;
        case "consume":
          reports.push(await consumeSuite(log, { records, reps, partitions }));
          break;
        case "fast-lane":
          reports.push(
            await fastLaneSuite(log, { samples: int(values.samples, quick ? 40 : 300), reps }),
          );
          break;
        case "http-api":
          reports.push(
            await httpApiSuite({
              requests: int(values.requests, quick ? 300 : 2_000),
              concurrency: int(values.concurrency, 16),
            }),
          );
          break;
        case "rebuild":
          reports.push(
            await rebuildSuite(log, {
              sizes:
                values.events !== undefined
                  ? [int(values.events, 10_000)]
                  : quick
                    ? [10_000]
                    : [10_000, 100_000, 1_000_000],
              dynamoMax: int(values["dynamo-max"], 100_000),
              flushEvents: int(values["flush-events"], 10_000),
              samples: int(values.samples, quick ? 5 : 20),
              queriesOnly: values["queries-only"],
              ...(values["keep-log"] === undefined ? {} : { keepLog: values["keep-log"] }),
            }),
          );
          break;
        case "capacity": {
          const consume = reports.find((r) => r.suite === "consume")?.data as
            | { ratios?: { hostBareVsRawPlatformatic?: number } }
            | undefined;
          const counterPort = Number(process.env.DUPLEX_BENCH_COUNTER_PORT ?? "0");
          reports.push(
            await capacitySuite(
              log,
              {
                rates: (values.rates ?? (quick ? "4" : "4,8,12,16"))
                  .split(",")
                  .filter((r) => r.trim() !== "")
                  .map((r) => int(r, 1)),
                secondsPerRate: int(values["rate-seconds"], quick ? 15 : 40),
                burst: values.burst === "0" ? 0 : int(values.burst, quick ? 100 : 1_000),
                failureShare: Number(values["capacity-failure-share"] ?? "0"),
                countRequests: !values["no-count"],
                timeoutSeconds: int(values["capacity-timeout"], 900),
                counterPort: Number.isInteger(counterPort) ? counterPort : 0,
              },
              { consumeRatio: consume?.ratios?.hostBareVsRawPlatformatic },
            ),
          );
          break;
        }
        case "memory":
          reports.push(
            await memorySuite(log, {
              minutes: int(values["memory-minutes"], quick ? 0.5 : 5),
              ratePerSec: int(values["memory-rate"], 1_000),
            }),
          );
          break;
      }
      const last = reports[reports.length - 1];
      if (last !== undefined) {
        for (const t of last.tables) console.log(t);
        for (const note of last.notes ?? []) console.log(`  note: ${note}`);
      }
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      errors.push({ suite, error: message });
      progress(`suite ${suite} failed: ${message}`);
    }
  }
} finally {
  await log.cleanup();
}

const result = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  machine: { ...machine, loadAfter: loadavg() },
  options: { selected, quick, reps, records, partitions, argv: process.argv.slice(2) },
  runId: log.id,
  reports: reports.map(({ suite, data, notes }) => ({ suite, data, notes })),
  errors,
};
const out =
  values.out ?? join(duplexHome, "bench", `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
mkdirSync(join(out, ".."), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `\n${startedAt.toISOString()} · ${machine.cpus} × ${machine.cpuModel} · Node ${machine.node} · load ${machine.loadBefore.map((l) => l.toFixed(2)).join(" ")} → ${result.machine.loadAfter.map((l) => l.toFixed(2)).join(" ")}`,
);
console.log(`results: ${out}`);
if (errors.length > 0) {
  console.log(`failed suites: ${errors.map((e) => e.suite).join(", ")}`);
  process.exitCode = 1;
}
// Kafka clients keep sockets and timers; the bench is done.
process.exit();
