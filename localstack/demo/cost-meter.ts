import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { METER_KEY, type MeteredCall } from "../../functions/kit/call-meter.ts";
import { partitionReader } from "../../functions/kit/log/partition-reader.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import type { LocalSession } from "../host/session.ts";

/**
 * What one order costs in requests, measured on a real run of the demo: records and bytes written
 * to the log, function invocations and their duration, every AWS call the functions made (with
 * DynamoDB's consumed capacity), and the SQS requests Lambda's pollers would make. Counted between
 * a mark taken after the demo's setup (customers, products) and the end of the run, so only the
 * orders are in it. The cost model (`npm run cost`) prices these counts.
 */

/** The counts at one moment. */
interface Mark {
  readonly offsets: Map<string, Map<number, bigint>>;
  readonly invocations: Map<string, { invocations: number; totalMs: number }>;
  readonly logLines: Map<string, number>;
  readonly logBytes: Map<string, number>;
  readonly sqs: { receives: number; emptyReceives: number; deletes: number };
}

/** What calls of one `Service:Operation` made and consumed. */
export interface CallCounts {
  calls: number;
  entries: number;
  readUnits: number;
  writeUnits: number;
}

/** Per-order inputs of the cost model, as measured. */
export interface MeasuredRun {
  readonly orders: number;
  readonly outcomes: Readonly<Record<string, number>>;
  /** Log records and their bytes (key, value, headers) per catalog topic. */
  readonly log: Readonly<Record<string, { records: number; bytes: number }>>;
  readonly functions: Readonly<
    Record<string, { invocations: number; totalMs: number; memoryMb: number; trigger: string }>
  >;
  /**
   * `Service:Operation` → calls, entries, DynamoDB read and write units, of the functions the
   * orders invoke (fast-lane and log triggers).
   */
  readonly awsCalls: Readonly<Record<string, CallCounts>>;
  /**
   * The same for the scheduled functions (sweepers, reconciler): they run by the clock (locally
   * every few seconds, on AWS every minute), so the cost model prices them per month, per
   * invocation, not per order.
   */
  readonly scheduledAwsCalls: Readonly<Record<string, CallCounts>>;
  /** SQS requests of the fast-lane pollers (non-empty receives and delete batches). */
  readonly pollerRequests: { readonly receives: number; readonly deletes: number };
  /** Bytes the functions logged (without the meter's own lines), at the run's log level. */
  readonly logOutputBytes: number;
}

function logFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".log"));
  } catch {
    return [];
  }
}

/** Reads the meter lines and the other bytes of each function's log after `from` lines. */
function readLogs(dir: string) {
  const lines = new Map<string, string[]>();
  for (const file of logFiles(dir)) {
    lines.set(file, readFileSync(join(dir, file), "utf8").split("\n"));
  }
  return lines;
}

async function mark(session: LocalSession, logDir: string): Promise<Mark> {
  const offsets = new Map<string, Map<number, bigint>>();
  for (const topic of (await session.admin.listTopics()).filter((t) =>
    t.startsWith(session.topicPrefix),
  )) {
    const ends = await session.admin.topicOffsets(topic);
    offsets.set(topic, new Map(ends.map((e) => [e.partition, BigInt(e.high)])));
  }
  const invocations = new Map<string, { invocations: number; totalMs: number }>();
  for (const [name, fn] of session.host?.functions ?? []) {
    invocations.set(name, { invocations: fn.stats.invocations, totalMs: fn.stats.totalMs });
  }
  const logLines = new Map<string, number>();
  const logBytes = new Map<string, number>();
  for (const [file, lines] of readLogs(logDir)) {
    logLines.set(file, lines.length);
    logBytes.set(
      file,
      lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0),
    );
  }
  const sqs = { receives: 0, emptyReceives: 0, deletes: 0 };
  for (const p of session.host?.sqsPollers ?? []) {
    sqs.receives += p.requests.receives;
    sqs.emptyReceives += p.requests.emptyReceives;
    sqs.deletes += p.requests.deletes;
  }
  return { offsets, invocations, logLines, logBytes, sqs };
}

/**
 * Starts measuring now (after the setup); `finish` returns what the orders cost.
 *
 * @example
 * ```ts
 * const meter = await startCostMeter(session, logDir);
 * // ... place orders, wait until they end ...
 * const run = await meter.finish(orderIds.length, outcomes);
 * ```
 */
export async function startCostMeter(session: LocalSession, logDir: string) {
  const before = await mark(session, logDir);
  return {
    async finish(orders: number, outcomes: Record<string, number>): Promise<MeasuredRun> {
      const after = await mark(session, logDir);
      const log: Record<string, { records: number; bytes: number }> = {};
      const reader = partitionReader({
        brokers: session.endpoints.kafkaBrokers,
        auth: "none",
        clientId: "duplex-cost-meter",
      });
      try {
        for (const [topic, ends] of after.offsets) {
          const catalogTopic = topic.slice(session.topicPrefix.length);
          let records = 0;
          let bytes = 0;
          for (const [partition, end] of ends) {
            let at = before.offsets.get(topic)?.get(partition) ?? 0n;
            while (at < end) {
              const [page] = await reader.read([{ topic, partition, offset: at.toString() }], {
                maxBytes: 1_000_000,
                maxRecords: 1_000,
                maxWaitMs: 0,
              });
              if (page === undefined || page.records.length === 0) break;
              for (const r of page.records) {
                if (BigInt(r.offset) >= end) break;
                records++;
                bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
                for (const [name, value] of Object.entries(r.headers))
                  bytes += name.length + value.length;
              }
              at = BigInt(page.nextOffset);
            }
          }
          if (records > 0) log[catalogTopic] = { records, bytes };
        }
      } finally {
        await reader.close();
      }

      const functions: Record<
        string,
        { invocations: number; totalMs: number; memoryMb: number; trigger: string }
      > = {};
      for (const [name, now] of after.invocations) {
        const was = before.invocations.get(name) ?? { invocations: 0, totalMs: 0 };
        const declaration = functionDeclarations.find((d) => d.name === name);
        if (now.invocations === was.invocations) continue;
        functions[name] = {
          invocations: now.invocations - was.invocations,
          totalMs: Math.round(now.totalMs - was.totalMs),
          memoryMb: declaration?.memoryMb ?? 0,
          trigger: declaration?.trigger.kind ?? "?",
        };
      }

      const awsCalls: Record<string, CallCounts> = {};
      const scheduledAwsCalls: Record<string, CallCounts> = {};
      let logOutputBytes = 0;
      for (const [file, lines] of readLogs(logDir)) {
        // The host writes each function's output to <function name>.log.
        const name = file.slice(0, -".log".length);
        const trigger = functionDeclarations.find((d) => d.name === name)?.trigger.kind;
        const calls = trigger === "schedule" ? scheduledAwsCalls : awsCalls;
        for (const line of lines.slice(before.logLines.get(file) ?? 0)) {
          if (!line.includes(METER_KEY)) {
            if (line !== "") logOutputBytes += Buffer.byteLength(line) + 1;
            continue;
          }
          const call = (JSON.parse(line) as Record<string, MeteredCall>)[METER_KEY];
          if (call === undefined) continue;
          const key = `${call.service}:${call.operation}`;
          const sum = calls[key] ?? { calls: 0, entries: 0, readUnits: 0, writeUnits: 0 };
          sum.calls++;
          sum.entries += call.entries;
          sum.readUnits += call.readUnits;
          sum.writeUnits += call.writeUnits;
          calls[key] = sum;
        }
      }
      return {
        orders,
        outcomes,
        log,
        functions,
        awsCalls,
        scheduledAwsCalls,
        pollerRequests: {
          receives:
            after.sqs.receives -
            after.sqs.emptyReceives -
            (before.sqs.receives - before.sqs.emptyReceives),
          deletes: after.sqs.deletes - before.sqs.deletes,
        },
        logOutputBytes,
      };
    },
  };
}
