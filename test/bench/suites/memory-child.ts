/**
 * The publisher memory run, in its own process (see memory.ts) started with `--expose-gc`, stdout
 * on /dev/null (Powertools EMF output). A paced load of ~1 KB events — 80 % facts (log only), 20 %
 * critical commands (log, then PutEvents to a bus on the emulator) — through one long-lived
 * `Publisher`, as a warm Lambda execution environment keeps it. Every few seconds: a full GC, then
 * heap and RSS. Results go back over IPC.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { EventEnvelope } from "../../../events/envelope.ts";
import { EventBridgeFastLane } from "../../../functions/kit/fast-lane.ts";
import { createLogClient } from "../../../functions/kit/log/client.ts";
import { namespacedProducer } from "../../../functions/kit/log/namespace.ts";
import type { LogConnection } from "../../../functions/kit/log/port.ts";
import { createObservability } from "../../../functions/kit/observability.ts";
import { Publisher } from "../../../functions/kit/publisher.ts";
import { typicalCommand, typicalFact } from "../lib/events.ts";
import { nowMs, sleep } from "../lib/harness.ts";

export interface MemoryChildInput {
  readonly minutes: number;
  readonly ratePerSec: number;
  readonly connection: LogConnection;
  readonly topicPrefix: string;
  readonly busName: string;
  readonly aws: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  readonly sampleEverySec: number;
}

export interface MemorySample {
  readonly minutes: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly rssMiB: number;
  readonly externalMiB: number;
  readonly published: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("memory-child.ts needs --expose-gc");

const input = await new Promise<MemoryChildInput>((resolve) =>
  process.once("message", (m) => resolve(m as MemoryChildInput)),
);

const { logger, metrics } = createObservability("bench-memory");
const producer = namespacedProducer(
  createLogClient(input.connection).producer(),
  input.topicPrefix,
);
const publisher = new Publisher({
  log: producer,
  fastLane: new EventBridgeFastLane(new EventBridgeClient(input.aws), input.busName),
  logger,
  metrics,
  eventBusName: input.busName,
});

const BATCH = 10;
const WORKERS = 8;
const durationMs = input.minutes * 60_000;
const start = nowMs();
let published = 0;
let failures = 0;
let lastError = "";
let running = true;

/** Paced workers: each publishes a batch, then waits its share of the target rate. */
async function worker(): Promise<void> {
  const interval = (WORKERS * BATCH * 1000) / input.ratePerSec;
  let next = nowMs();
  while (running) {
    const events: EventEnvelope[] = Array.from({ length: BATCH }, (_, i) =>
      i < BATCH * 0.2 ? typicalCommand() : typicalFact(),
    );
    try {
      await publisher.publish(events);
      published += events.length;
    } catch (error) {
      failures++;
      lastError = (error as Error).message;
    }
    next += interval;
    const wait = next - nowMs();
    if (wait > 0) await sleep(wait);
    else next = nowMs(); // behind: do not build a backlog
  }
}

// Like a Lambda invocation ending: flush the metrics Powertools buffered.
const flush = setInterval(() => metrics.publishStoredMetrics(), 1_000);

const samples: MemorySample[] = [];
const sample = () => {
  gc();
  const m = process.memoryUsage();
  const mib = (bytes: number) => bytes / 2 ** 20;
  samples.push({
    minutes: (nowMs() - start) / 60_000,
    heapUsedMiB: mib(m.heapUsed),
    heapTotalMiB: mib(m.heapTotal),
    rssMiB: mib(m.rss),
    externalMiB: mib(m.external),
    published,
  });
  process.stderr.write(
    `[bench memory] ${((nowMs() - start) / 1000).toFixed(0)} s: ${published} published, heap ${mib(m.heapUsed).toFixed(1)} MiB, rss ${mib(m.rss).toFixed(1)} MiB\n`,
  );
};
sample();
const sampler = setInterval(sample, input.sampleEverySec * 1000);
const workers = Array.from({ length: WORKERS }, worker);
await sleep(durationMs);
running = false;
await Promise.all(workers);
clearInterval(sampler);
clearInterval(flush);
sample();
await producer.close();

process.send?.({
  samples,
  published,
  failures,
  lastError,
  seconds: (nowMs() - start) / 1000,
  workers: WORKERS,
  batch: BATCH,
});
process.disconnect?.();
