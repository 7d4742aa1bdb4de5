/**
 * One rebuild of a projection on a local session's log into a store that discards the items
 * (everything real but DynamoDB: range reads, decode, fold, cache), with the records read and
 * decoded on this thread or on a worker thread — the figures of docs/benchmarks.md §8:
 *
 * ```
 * npm run bench -- --only rebuild --queries-only --keep-log big --events 1000000   # the log
 * node test/bench/rebuild-once.ts --session bench-keep-big --projection order-summary --worker on
 * node test/bench/rebuild-once.ts --session bench-keep-big --projection order-summary --worker off
 * node --cpu-prof test/bench/rebuild-once.ts ...                                    # a profile per thread
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LogRebuild } from "../../functions/kit/log-rebuild.ts";
import type { RebuildCheckpoint, RebuildItems } from "../../functions/kit/view-batch-store.ts";
import type { ItemState } from "../../functions/kit/view-fold.ts";
import { cpuUs, nowMs } from "./lib/harness.ts";
import { openSessionProjection } from "./lib/session-projection.ts";

const { values } = parseArgs({
  options: {
    session: { type: "string", default: "demo" },
    projection: { type: "string", default: "order-summary" },
    worker: { type: "string", default: "auto" },
  },
});

/** Counts what it is given and keeps nothing: every item is new, as in a fresh version. */
class DiscardingItems implements RebuildItems {
  readonly stats = { itemsWritten: 0, writeRequests: 0, itemsRead: 0, readRequests: 0 };
  async load(): Promise<Map<string, ItemState>> {
    return new Map();
  }
  async put(items: ReadonlyMap<string, ItemState>): Promise<void> {
    this.stats.itemsWritten += items.size;
  }
  async checkpoint(): Promise<RebuildCheckpoint | undefined> {
    return undefined;
  }
  async saveCheckpoint(): Promise<void> {}
}

const { projection, topics, log } = openSessionProjection(
  values.session,
  values.projection,
  "duplex-rebuild-once",
);
const admin = log.admin();
const startedMs = nowMs();
const startedCpu = cpuUs();
const rebuild = await LogRebuild.open({
  log,
  admin,
  items: new DiscardingItems(),
  projection,
  topics,
  version: 99,
  checkpoints: false,
  readOnWorker: values.worker === "on" ? true : values.worker === "off" ? false : "auto",
});
const done = await rebuild.runTo(await rebuild.endOffsets());
const ms = nowMs() - startedMs;
const cpuUsPerRecord = (cpuUs() - startedCpu) / Math.max(1, done.events);
await rebuild.close();
await admin.close();
console.log(
  `${values.projection} (${done.readOnWorker ? "read on a worker" : "read inline"}): ${done.events} records in ${(ms / 1000).toFixed(2)} s = ${Math.round((done.events * 1000) / ms)} records/s, CPU ${cpuUsPerRecord.toFixed(1)} µs/record (all threads), applied ${done.applied}, items ${done.itemsWritten}, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
);
process.exit(0);
