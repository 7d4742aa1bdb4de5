/**
 * One rebuild in its own process (see rebuild.ts), so its peak RSS is its own: a projection read
 * from the log and folded a batch at a time, into DynamoDB Local or into a stand-in store that
 * counts the items and discards them (to see the rebuild's own pace apart from the store's).
 * Results go back over IPC.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createLogClient } from "../../../functions/kit/log/client.ts";
import type { LogConnection } from "../../../functions/kit/log/port.ts";
import { LogRebuild } from "../../../functions/kit/log-rebuild.ts";
import {
  type RebuildCheckpoint,
  type RebuildItems,
  ViewBatchStore,
} from "../../../functions/kit/view-batch-store.ts";
import type { ItemState } from "../../../functions/kit/view-fold.ts";
import { projections } from "../../../localstack/demo/invariants.ts";
import { cpuUs, nowMs } from "../lib/harness.ts";

export interface RebuildChildInput {
  readonly connection: LogConnection;
  readonly projection: string;
  readonly topics: readonly string[];
  readonly version: number;
  readonly flushEvents: number;
  /** `raw`: the baseline, the same records read with no decode, fold or store. */
  readonly mode?: "rebuild" | "raw";
  /** `false`: read and decode on the rebuild's own thread (default: as LogRebuild decides). */
  readonly readOnWorker?: boolean;
  /** `undefined`: the discarding store. */
  readonly dynamodb?: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    table: string;
  };
}

export interface RebuildChildResult {
  readonly events: number;
  readonly applied: number;
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxRssMiB: number;
  readonly itemsWritten: number;
  readonly writeRequests: number;
  readonly itemsRead: number;
  readonly flushes: number;
  /** Whether the records were read and decoded on a worker thread. */
  readonly readOnWorker: boolean;
}

/** Counts what it is given and keeps nothing: every item is new, as in a fresh version. */
class DiscardingItems implements RebuildItems {
  readonly stats = { itemsWritten: 0, writeRequests: 0, itemsRead: 0, readRequests: 0 };
  async load(): Promise<Map<string, ItemState>> {
    this.stats.readRequests++;
    return new Map();
  }
  async put(items: ReadonlyMap<string, ItemState>): Promise<void> {
    this.stats.itemsWritten += items.size;
    this.stats.writeRequests += Math.ceil(items.size / 25);
  }
  async checkpoint(): Promise<RebuildCheckpoint | undefined> {
    return undefined;
  }
  async saveCheckpoint(): Promise<void> {}
}

const input = await new Promise<RebuildChildInput>((resolve) =>
  process.once("message", (m) => resolve(m as RebuildChildInput)),
);
const projection = projections.find((p) => p.name === input.projection);
if (projection === undefined) throw new Error(`no projection ${input.projection}`);
const log = createLogClient(input.connection);
const admin = log.admin();
const items: RebuildItems =
  input.dynamodb === undefined
    ? new DiscardingItems()
    : new ViewBatchStore(
        DynamoDBDocumentClient.from(
          new DynamoDBClient({
            endpoint: input.dynamodb.endpoint,
            region: input.dynamodb.region,
            credentials: input.dynamodb.credentials,
          }),
          { marshallOptions: { removeUndefinedValues: true } },
        ),
        input.dynamodb.table,
      );
const startedMs = nowMs();
const startedCpu = cpuUs();
let result: RebuildChildResult;
if (input.mode === "raw") {
  // The floor under any rebuild: the same partitions read from the low to the end offsets,
  // each record counted and dropped.
  const ranges = [];
  for (const topic of input.topics) {
    for (const p of await admin.topicOffsets(topic)) {
      ranges.push({ topic, partition: p.partition, from: BigInt(p.low), to: BigInt(p.high) });
    }
  }
  const reader = log.reader();
  let records = 0;
  await reader.read(ranges, (batch) => {
    records += batch.records.length;
  });
  const ms = nowMs() - startedMs;
  const cpuMs = (cpuUs() - startedCpu) / 1000;
  await reader.close();
  await admin.close();
  result = {
    events: records,
    applied: 0,
    ms,
    cpuMs,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    itemsWritten: 0,
    writeRequests: 0,
    itemsRead: 0,
    flushes: 0,
    readOnWorker: false,
  };
} else {
  const rebuild = await LogRebuild.open({
    log,
    admin,
    items,
    projection,
    topics: input.topics,
    version: input.version,
    checkpoints: input.dynamodb !== undefined,
    flushEvents: input.flushEvents,
    ...(input.readOnWorker === undefined ? {} : { readOnWorker: input.readOnWorker }),
    onProgress: (p) =>
      process.stderr.write(
        `[bench rebuild] ${input.projection}: ${p.events} events, ${Math.round(p.eventsPerSecond)}/s, ${p.remaining} to go\n`,
      ),
  });
  const done = await rebuild.runTo(await rebuild.endOffsets());
  const ms = nowMs() - startedMs;
  const cpuMs = (cpuUs() - startedCpu) / 1000;
  await rebuild.close();
  await admin.close();
  result = {
    events: done.events,
    applied: done.applied,
    ms,
    cpuMs,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    itemsWritten: items.stats.itemsWritten,
    writeRequests: items.stats.writeRequests,
    itemsRead: items.stats.itemsRead,
    flushes: done.flush,
    readOnWorker: done.readOnWorker,
  };
}
process.send?.(result, () => process.exit(0));
