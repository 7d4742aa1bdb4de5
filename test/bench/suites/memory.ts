import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  EventBridgeClient,
} from "@aws-sdk/client-eventbridge";
import { topicsFor } from "../../../events/topics.ts";
import { awsClientConfig } from "../../../localstack/stack/index.ts";
import { runChild } from "../lib/child.ts";
import { fmt, progress, type SuiteReport, slope, table } from "../lib/harness.ts";
import type { BenchLog } from "../lib/log.ts";
import type { MemoryChildInput, MemorySample } from "./memory-child.ts";

/**
 * Publisher memory under a sustained load (issue 4: "no growth"). The run is in a child process
 * (memory-child.ts) with `--expose-gc`: heap after a full GC and RSS are sampled every few seconds;
 * the first quarter of the run (connections, JIT, pools filling) is warm-up; over the rest the
 * least-squares slope per minute is the figure. A leak shows as a steady positive heap slope.
 */
export async function memorySuite(
  log: BenchLog,
  options: { minutes: number; ratePerSec: number },
): Promise<SuiteReport> {
  const partitions = new Map(topicsFor("local").map((t) => [t.name, t.partitions]));
  for (const topic of ["order-events", "order-commands"]) {
    await log.ensureTopic(topic, partitions.get(topic as never) ?? 6);
  }
  const aws = awsClientConfig();
  const busName = `duplex-bench-${log.id}-memory`;
  const eventBridge = new EventBridgeClient(aws);
  await eventBridge.send(new CreateEventBusCommand({ Name: busName }));

  const sampleEverySec = options.minutes <= 1 ? 3 : 5;
  progress(
    `memory: ${options.minutes} min at ${options.ratePerSec} events/s (20 % critical commands), sampling every ${sampleEverySec} s`,
  );
  const input: MemoryChildInput = {
    minutes: options.minutes,
    ratePerSec: options.ratePerSec,
    connection: { ...log.connection, clientId: `${log.connection.clientId}-memory` },
    topicPrefix: log.prefix,
    busName,
    aws,
    sampleEverySec,
  };
  let result: {
    samples: MemorySample[];
    published: number;
    failures: number;
    lastError: string;
    seconds: number;
    workers: number;
    batch: number;
  };
  try {
    ({ result } = await runChild<typeof result>(new URL("./memory-child.ts", import.meta.url), {
      execArgv: ["--expose-gc"],
      input,
    }));
  } finally {
    await eventBridge.send(new DeleteEventBusCommand({ Name: busName })).catch(() => undefined);
  }

  // Warm-up: connections, JIT, allocator pools; a quarter of the run, at least a minute when the
  // run is long enough to spare one.
  const warmupMin = options.minutes >= 3 ? Math.max(1, options.minutes / 4) : options.minutes / 4;
  const steady = result.samples.filter((s) => s.minutes >= warmupMin);
  const slopeOf = (pick: (s: MemorySample) => number) =>
    slope(steady.map((s) => ({ x: s.minutes, y: pick(s) })));
  const slopes = {
    heapUsedMiBPerMin: slopeOf((s) => s.heapUsedMiB),
    rssMiBPerMin: slopeOf((s) => s.rssMiB),
    externalMiBPerMin: slopeOf((s) => s.externalMiB),
  };
  const first = steady[0];
  const last = steady[steady.length - 1];
  const rate = result.published / result.seconds;
  const rows = [
    [
      "heap used after GC",
      fmt(first?.heapUsedMiB, 1),
      fmt(last?.heapUsedMiB, 1),
      fmt(Math.max(...steady.map((s) => s.heapUsedMiB)), 1),
      fmt(slopes.heapUsedMiBPerMin, 3),
    ],
    [
      "RSS",
      fmt(first?.rssMiB, 1),
      fmt(last?.rssMiB, 1),
      fmt(Math.max(...steady.map((s) => s.rssMiB)), 1),
      fmt(slopes.rssMiBPerMin, 3),
    ],
    [
      "external (Buffers)",
      fmt(first?.externalMiB, 1),
      fmt(last?.externalMiB, 1),
      fmt(Math.max(...steady.map((s) => s.externalMiB)), 1),
      fmt(slopes.externalMiBPerMin, 3),
    ],
  ];
  return {
    suite: "memory",
    tables: [
      table(
        `Publisher memory, MiB: ${options.minutes} min, ${fmt(rate, 0)} events/s achieved (target ${options.ratePerSec}), ${result.published.toLocaleString("en-US")} events, ${result.failures} failed calls; steady state after ${fmt(warmupMin, 1)} min, ${steady.length} samples`,
        ["measure", "steady start", "end", "max", "slope MiB/min"],
        rows,
      ),
    ],
    data: { options, slopes, achievedRate: rate, ...result },
    notes: result.failures > 0 ? [`last publish error: ${result.lastError}`] : [],
  };
}
