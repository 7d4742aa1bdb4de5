#!/usr/bin/env node
/**
 * `npm run cost [-- measured.json]`: prices one million orders on each stage from a measured run
 * (`npm start -- --measure-costs bin/cost/measured.json`) and the list prices of
 * `bin/cost/prices.ts`, and prints the tables of `docs/cost.md` (markdown).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { allEventDefinitions } from "../events/registry.ts";
import { topicSpecs, topicsFor } from "../events/topics.ts";
import { functionDeclarations } from "../functions/registry.ts";
import { fastLaneRoutes, logMappings, scheduleRoutes } from "../lib/routes.ts";
import { loadStageSettings, type StageName, type StageSettings } from "../lib/stages.ts";
import {
  brokerDiskGiB,
  type MeasuredFile,
  perOrder,
  priceMillionOrders,
  type StageShape,
  total,
} from "./cost/model.ts";
import { PRICES } from "./cost/prices.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const file = process.argv[2] ?? join(root, "bin", "cost", "measured.json");
const run = JSON.parse(readFileSync(file, "utf8")) as MeasuredFile;
const context = (
  JSON.parse(readFileSync(join(root, "cdk.json"), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

/** Metrics in the stage's alarms, as lib/observability makes them (metric-math alarms per metric). */
function alarmMetrics(brokers: number): number {
  const mappings = logMappings(functionDeclarations, topicsFor("aws"));
  const commands = fastLaneRoutes(allEventDefinitions(), functionDeclarations).length;
  const logReaders = new Set(mappings.map((m) => m.handler.name)).size;
  const deadLetterQueues = 1 + 2 * commands + scheduleRoutes(functionDeclarations).length;
  return (
    deadLetterQueues +
    2 * mappings.length + // lag, not consuming
    logReaders +
    mappings.length + // dead letters: the adapter's metric + each mapping's
    2 * mappings.length + // records lost: dropped + delivery errors of each mapping
    2 +
    2 * brokers + // controller, offline partitions; under-min-ISR and disk per broker
    2 * functionDeclarations.length // errors, throttles
  );
}

function shapeOf(stage: StageName, settings: StageSettings): StageShape {
  const brokers = 3 * settings.eventLog.brokersPerAz;
  return {
    name: stage,
    broker:
      settings.eventLog.brokerInstanceType === "kafka.t3.small"
        ? "mskBrokerT3Small"
        : "mskBrokerM7gLarge",
    brokers,
    volumeGiB: settings.eventLog.volumeSizeGiB,
    retentionDaysByTopic: Object.fromEntries(
      Object.entries(topicSpecs).map(([t, spec]) => [t, spec.retentionMs / 86_400_000]),
    ),
    archiveRetentionDays: settings.fastLane.archiveRetentionDays,
    interfaceEndpoints: settings.network.interfaceEndpoints.length,
    kmsKeys: 4,
    alarmMetrics: alarmMetrics(brokers),
    scheduleEveryMinutes: Object.fromEntries(
      functionDeclarations.flatMap((d) =>
        d.trigger.kind === "schedule" ? [[d.name, d.trigger.everyMinutes]] : [],
      ),
    ),
  };
}

const usd = (n: number | undefined) =>
  n === undefined ? "not priced" : n < 1 ? `$${n.toFixed(3)}` : `$${n.toFixed(2)}`;
const stages = (["dev", "prod"] as const).map((stage) => ({
  stage,
  settings: loadStageSettings({ tryGetContext: (k) => context[k] }, stage),
}));
const o = perOrder(run);
const out: string[] = [];
out.push(
  `Measured: ${run.measuredAt}, ${run.orders} orders (${Object.entries(run.outcomes)
    .map(([k, v]) => `${v} ${k.toLowerCase()}`)
    .join(", ")}); ${run.how}.`,
  "",
);
out.push("| per order | measured |", "|---|---:|");
out.push(`| function invocations (fast lane + log) | ${o.invocations.toFixed(2)} |`);
out.push(`| GB-seconds (local durations) | ${o.gbSeconds.toFixed(3)} |`);
out.push(`| records on the log | ${o.logRecords.toFixed(2)} (${Math.round(o.logBytes)} B) |`);
out.push(`| EventBridge entries put | ${o.putEvents.toFixed(2)} |`);
out.push(`| SQS requests | ${o.sqsRequests.toFixed(2)} |`);
out.push(
  `| DynamoDB calls / RRU / WRU | ${o.dynamoCalls.toFixed(1)} / ${o.readUnits.toFixed(1)} / ${o.writeUnits.toFixed(1)} |`,
);
out.push(`| function log output at INFO | ${Math.round(o.logOutputBytes)} B |`, "");
for (const volume of [1_000_000, 10_000_000]) {
  out.push(`One million orders at ${volume.toLocaleString("en")} orders a month:`, "");
  out.push("| line | dev | prod | how (prod) |", "|---|---:|---:|---|");
  const priced = stages.map(({ stage, settings }) =>
    priceMillionOrders(run, shapeOf(stage, settings), volume),
  );
  const [dev, prod] = priced;
  prod?.forEach((line, i) => {
    out.push(`| ${line.line} | ${usd(dev?.[i]?.usd)} | ${usd(line.usd)} | ${line.how} |`);
  });
  out.push(
    `| **total (priced lines)** | **${usd(total(dev ?? []))}** | **${usd(total(prod ?? []))}** | |`,
    "",
  );
}
out.push("Broker disk for the catalog's retention (× 3 replicas over 3 brokers):", "");
out.push(
  "| stage | volume per broker | auto-scaling up to | GiB per broker per 10,000 orders/day | orders/day at 60 % of the volume |",
  "|---|---:|---:|---:|---:|",
);
for (const { stage, settings } of stages) {
  const shape = shapeOf(stage, settings);
  const per10k = brokerDiskGiB(run, shape, 10_000);
  const fit = Math.floor(((settings.eventLog.volumeSizeGiB * 0.6) / per10k) * 10_000);
  out.push(
    `| ${stage} | ${settings.eventLog.volumeSizeGiB} GiB | ${settings.eventLog.storageAutoScaling.maxVolumeSizeGiB} GiB | ${per10k.toFixed(3)} | ${fit.toLocaleString("en")} |`,
  );
}
out.push("", "| price | USD | unit | source | as of |", "|---|---:|---|---|---|");
for (const [name, p] of Object.entries(PRICES)) {
  out.push(
    `| ${name} | ${p.usd === undefined ? "—" : p.usd} | ${p.unit} | ${p.source} | ${p.asOf} |`,
  );
}
console.log(out.join("\n"));
