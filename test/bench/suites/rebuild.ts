import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { openLocalTarget } from "../../../bin/cli/target/local.ts";
import { aggregateStateAt } from "../../../functions/kit/log-query/aggregate-state.ts";
import { flowTimeline } from "../../../functions/kit/log-query/flows.ts";
import { functionDeclarations } from "../../../functions/registry.ts";
import { writeHistory } from "../../../localstack/demo/history.ts";
import { projections } from "../../../localstack/demo/invariants.ts";
import { LocalSession } from "../../../localstack/host/session.ts";
import { localEndpoints } from "../../../localstack/stack/index.ts";
import { runChild } from "../lib/child.ts";
import { fmt, nowMs, progress, type SuiteReport, summarize, table } from "../lib/harness.ts";
import type { BenchLog } from "../lib/log.ts";
import type { RebuildChildInput, RebuildChildResult } from "./rebuild-child.ts";

/**
 * `--only rebuild`: the batched rebuild at growing log sizes (10^4, 10^5, 10^6 events by default;
 * `--events N` for one size), on generated order flows (`localstack/demo/history.ts`) spread over
 * 12 hours of log time. The log grows in place: each size adds to the previous one, and every
 * rebuild reads its projection's topics from offset 0. Per size and projection:
 *
 * - the rebuild into a store that discards items (log read, decode, fold, cache: everything but
 *   DynamoDB), in a child process for its own peak RSS;
 * - up to `--dynamo-max` events, the same into DynamoDB Local, next to a raw BatchWriteItem
 *   baseline on the same table in the same run (so the store's own ceiling is measured);
 * - `trace` of sample flows and `state --at` of sample orders (in-process, the functions the CLI
 *   calls: `flowTimeline`, `aggregateStateAt`).
 */
export interface RebuildSuiteOptions {
  readonly sizes: readonly number[];
  /** Largest size also rebuilt into DynamoDB Local. */
  readonly dynamoMax: number;
  readonly flushEvents: number;
  /** Queries timed per size. */
  readonly samples: number;
  /**
   * Keep the generated log under this session name after the run and grow it from where an
   * earlier run with the same name left it (a 10^6 log is written once, in ~10 minutes).
   */
  readonly keepLog?: string;
  /** Time the queries only (no rebuilds). */
  readonly queriesOnly?: boolean;
}

/** What a kept log holds, so a later run can reuse and grow it. */
interface KeptLog {
  readonly written: number;
  readonly startAll: number;
  readonly endAll: number;
  readonly largest: number;
  readonly chunks: number;
  readonly samples: readonly { correlationId: string; orderId: string }[];
}

const keptLogFile = (name: string) => join(".duplex", "bench", `rebuild-log-${name}.json`);

interface RebuildRow {
  readonly size: number;
  readonly projection: string;
  readonly store: "raw read" | "discard" | "discard, worker" | "dynamodb-local";
  readonly result: RebuildChildResult;
  /** The machine's 1-minute load average when the run ended (the machine is shared). */
  readonly load: number;
}

interface QueryRow {
  readonly size: number;
  readonly query: "trace" | "state --at";
  readonly ms: readonly number[];
  readonly events: readonly number[];
}

const SPAN_MS = 12 * 3_600_000;

export async function rebuildSuite(
  log: BenchLog,
  options: RebuildSuiteOptions,
): Promise<SuiteReport> {
  const endpoints = localEndpoints();
  // The session's namespace is the bench's, so BenchLog.cleanup deletes its topics.
  const kept: KeptLog | undefined =
    options.keepLog !== undefined && existsSync(keptLogFile(options.keepLog))
      ? (JSON.parse(readFileSync(keptLogFile(options.keepLog), "utf8")) as KeptLog)
      : undefined;
  const session = await LocalSession.start({
    name: options.keepLog === undefined ? log.prefix.slice(0, -1) : `bench-keep-${options.keepLog}`,
    host: false,
  });
  if (options.keepLog === undefined) log.touch();
  // The history is written in minutes but happened over 12 hours: its records keep their events'
  // times (CreateTime), as a live log's append times follow its events'. No saga runs here to
  // need the broker's clock (the topics' LogAppendTime).
  for (const topic of (await session.admin.listTopics()).filter((t) =>
    t.startsWith(session.topicPrefix),
  )) {
    await session.admin.alterTopicConfigs(topic, { "message.timestamp.type": "CreateTime" });
  }
  const target = openLocalTarget(session.name);
  const rebuilds: RebuildRow[] = [];
  const queries: QueryRow[] = [];
  const writes: { size: number; events: number; ms: number }[] = [];
  const baselines: { size: number; items: number; ms: number }[] = [];
  const sizes = [...options.sizes].sort((a, b) => a - b);
  const endAll = kept?.endAll ?? Date.now() - 60_000;
  const startAll = kept?.startAll ?? endAll - SPAN_MS;
  let written = kept?.written ?? 0;
  let chunks = kept?.chunks ?? 0;
  let version = 10;
  const samples: { correlationId: string; orderId: string }[] = [...(kept?.samples ?? [])];
  const largest = kept?.largest ?? sizes[sizes.length - 1] ?? 0;
  if ((sizes[sizes.length - 1] ?? 0) > largest) {
    throw new Error(
      `the kept log '${options.keepLog}' was planned up to ${largest} events; start another --keep-log name for more`,
    );
  }
  try {
    for (const size of sizes) {
      // Grow the log to `size`: this chunk covers its share of the 12 hours, after the last.
      const add = size - written;
      if (add <= 0) {
        progress(`rebuild: the kept log already holds ${written} events (≥ ${size})`);
      } else {
        const chunkStart = startAll + (SPAN_MS * written) / largest;
        const chunkEnd = startAll + (SPAN_MS * size) / largest;
        progress(`rebuild: writing ${add} events (log ${written} → ${size})`);
        const started = nowMs();
        const history = await writeHistory(
          session.producer,
          {
            events: add,
            endMs: chunkEnd,
            spanMs: chunkEnd - chunkStart,
            seed: 100 + chunks,
            idNamespace: `h${chunks}-`,
          },
          (n) => {
            if (n % 100_000 < 5_000) progress(`rebuild: ${n} / ${add} written`);
          },
        );
        writes.push({ size, events: history.events, ms: nowMs() - started });
        written += history.events;
        chunks++;
        for (const [i, correlationId] of history.sampleCorrelationIds.entries()) {
          const orderId = history.sampleOrderIds[i];
          if (orderId !== undefined) samples.push({ correlationId, orderId });
        }
        if (options.keepLog !== undefined) {
          mkdirSync(join(".duplex", "bench"), { recursive: true });
          const state: KeptLog = { written, startAll, endAll, largest, chunks, samples };
          writeFileSync(keptLogFile(options.keepLog), `${JSON.stringify(state)}\n`);
        }
      }

      for (const projection of options.queriesOnly === true ? [] : projections) {
        const declaration = functionDeclarations.find(
          (d) => d.name === `${projection.name}-projector`,
        );
        if (declaration?.trigger.kind !== "log") continue;
        const topics = declaration.trigger.topics.map((t) => session.topic(t));
        const stores: RebuildRow["store"][] =
          size <= options.dynamoMax
            ? ["raw read", "discard", "discard, worker", "dynamodb-local"]
            : ["raw read", "discard", "discard, worker"];
        for (const store of stores) {
          progress(`rebuild: ${projection.name} at ${written} events into ${store}`);
          const input: RebuildChildInput = {
            connection: log.connection,
            projection: projection.name,
            topics,
            version: version++,
            flushEvents: options.flushEvents,
            mode: store === "raw read" ? "raw" : "rebuild",
            // `discard` and `dynamodb-local` read as an operator's rebuild does (`auto`).
            ...(store === "discard, worker" ? { readOnWorker: true } : {}),
            ...(store !== "dynamodb-local"
              ? {}
              : {
                  dynamodb: {
                    endpoint: endpoints.dynamodbEndpoint,
                    region: endpoints.region,
                    credentials: endpoints.credentials,
                    table: session.resources.tables["read-models"],
                  },
                }),
          };
          const { result } = await runChild<RebuildChildResult>(
            new URL("./rebuild-child.ts", import.meta.url),
            { input },
          );
          rebuilds.push({
            size: written,
            projection: projection.name,
            store,
            result,
            load: loadavg()[0] ?? 0,
          });
        }
      }
      if (size <= options.dynamoMax && options.queriesOnly !== true) {
        baselines.push({ size: written, ...(await rawBatchWrites(session, 20_000)) });
      }

      // Queries, as the CLI runs them (after its start-up), on flows spread over the log so far.
      const picks = spread(samples, options.samples);
      const traceRow: QueryRow = { size: written, query: "trace", ms: [], events: [] };
      const stateRow: QueryRow = { size: written, query: "state --at", ms: [], events: [] };
      for (const sample of picks) {
        let t0 = nowMs();
        const flow = await flowTimeline(
          target,
          sample.correlationId,
          { fromMs: startAll - 86_400_000, toMs: Date.now() + 5_000 },
          { readModels: session.readModels() },
        );
        (traceRow.ms as number[]).push(nowMs() - t0);
        (traceRow.events as number[]).push(flow.length);
        // The order's state a second after it was placed: a temporal query in the middle of it.
        const placed = flow.find((e) => e.event.eventType === "OrderPlaced");
        const at = new Date(
          Date.parse(placed?.event.occurredAt ?? new Date().toISOString()) + 1_000,
        );
        t0 = nowMs();
        const { events: facts } = await aggregateStateAt(
          target,
          "Order",
          sample.orderId,
          at,
          session.readModels(),
        );
        (stateRow.ms as number[]).push(nowMs() - t0);
        (stateRow.events as number[]).push(facts.length);
      }
      queries.push(traceRow, stateRow);
    }
  } finally {
    await target.close();
    // A kept log keeps its session description too, for `npx duplex trace --session ...`.
    await session.stop({
      deleteTopics: options.keepLog === undefined,
      keepDescription: options.keepLog !== undefined,
    });
  }

  const baselineAt = (size: number) => baselines.find((b) => b.size === size);
  const rawAt = (size: number, projection: string) =>
    rebuilds.find((r) => r.size === size && r.projection === projection && r.store === "raw read");
  const cpuPerRecord = (r: RebuildRow) => (r.result.cpuMs * 1000) / Math.max(1, r.result.events);
  const tables = [
    table(
      "Log writes (generated order flows, one send of 5,000 records in flight)",
      ["log size", "events", "seconds", "events/s"],
      writes.map((w) => [
        fmt(w.size),
        fmt(w.events),
        fmt(w.ms / 1000),
        fmt((w.events * 1000) / w.ms),
      ]),
    ),
    table(
      "Rebuild from offset 0 (records read by the projection; raw read: the same records read and dropped; the store discards or is DynamoDB Local)",
      [
        "log size",
        "projection",
        "store",
        "read on",
        "records",
        "seconds",
        "records/s",
        "CPU s",
        "CPU µs/record",
        "× raw CPU",
        "items",
        "items/s",
        "peak RSS MiB",
        "vs raw BatchWriteItem",
        "load",
      ],
      rebuilds.map((r) => {
        const base = baselineAt(r.size);
        const itemsPerSec = (r.result.itemsWritten * 1000) / r.result.ms;
        const raw = rawAt(r.size, r.projection);
        return [
          fmt(r.size),
          r.projection,
          r.store,
          r.store === "raw read" ? "" : r.result.readOnWorker ? "worker" : "this thread",
          fmt(r.result.events),
          fmt(r.result.ms / 1000, 2),
          fmt((r.result.events * 1000) / r.result.ms),
          fmt(r.result.cpuMs / 1000, 2),
          fmt(cpuPerRecord(r), 1),
          raw === undefined ? "" : `${(cpuPerRecord(r) / cpuPerRecord(raw)).toFixed(2)}×`,
          fmt(r.result.itemsWritten),
          fmt(itemsPerSec),
          fmt(r.result.maxRssMiB),
          r.store === "dynamodb-local" && base !== undefined
            ? `${((itemsPerSec / ((base.items * 1000) / base.ms)) * 100).toFixed(0)} %`
            : "",
          r.load.toFixed(0),
        ];
      }),
      3,
    ),
    table(
      "Raw BatchWriteItem on DynamoDB Local (25 puts per request, 8 in flight, same table, same run)",
      ["log size", "items", "seconds", "items/s"],
      baselines.map((b) => [
        fmt(b.size),
        fmt(b.items),
        fmt(b.ms / 1000, 2),
        fmt((b.items * 1000) / b.ms),
      ]),
    ),
    table(
      "Queries (in-process, after the CLI's start-up): trace of one flow, state --at of one order",
      ["log size", "query", "n", "p50 ms", "max ms", "events found (median)"],
      queries.map((q) => {
        const s = summarize(q.ms);
        return [
          fmt(q.size),
          q.query,
          String(s.n),
          fmt(s.p50),
          fmt(s.max),
          fmt(summarize(q.events).p50, 0),
        ];
      }),
      2,
    ),
  ];
  return {
    suite: "rebuild",
    tables,
    data: { options, writes, rebuilds, baselines, queries },
    notes: [
      "records/s counts the records of the projection's topics read and written through; the discarding store shows the rebuild's own pace, DynamoDB Local rows the pace with the local store (compare its items/s with the raw baseline)",
      "peak RSS is the child process's maxRSS (the whole Node process: runtime, Kafka client, buffers, cache)",
    ],
  };
}

/** Every n-th of `items`, `count` of them. */
function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  const step = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)] as T);
}

/** BatchWriteItem of `items` small items, 25 per request, 8 requests in flight. */
async function rawBatchWrites(
  session: LocalSession,
  items: number,
): Promise<{ items: number; ms: number }> {
  const table = session.resources.tables["read-models"];
  let next = 0;
  const started = nowMs();
  const worker = async () => {
    while (next < items) {
      const start = next;
      next += 25;
      let request: Record<string, unknown[]> = {
        [table]: Array.from({ length: 25 }, (_, i) => ({
          PutRequest: {
            Item: {
              pk: `baseline#${start + i}`,
              sk: "view",
              orderId: `o-${start + i}`,
              status: "COMPLETED",
              totalCents: 4_250,
              placedAt: new Date().toISOString(),
            },
          },
        })),
      };
      while (Object.keys(request).length > 0) {
        const result = await session.doc.send(
          new BatchWriteCommand({ RequestItems: request as never }),
        );
        request = (result.UnprocessedItems ?? {}) as Record<string, unknown[]>;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { items, ms: nowMs() - started };
}
