/**
 * The rebuild's reading thread ({@link readOnWorker}): reads its ranges with a client of its own,
 * decodes the records a projection reads and posts them, a partition batch at a time, to the
 * thread that folds them. It reads ahead by at most `ahead` records that thread has not taken (it
 * takes a batch only while its buffer has room): the rebuild's memory stays bounded.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLogClient } from "./log/client.ts";
import { type DecodedRecord, decodeForProjection } from "./rebuild-decode.ts";
import type { ReaderWorkerInput, ReaderWorkerMessage } from "./rebuild-reader.ts";

const input = workerData as ReaderWorkerInput;
const port = parentPort;
if (port === null) throw new Error("rebuild-reader-worker.ts runs as a worker thread only");

/** Records posted and not yet taken by the folding thread; past `input.ahead` this one waits. */
let outstanding = 0;
// One waiter per partition batch held back: the reader hands batches of different brokers'
// partitions over at the same time (one fetch loop per broker).
const waiting: (() => void)[] = [];
port.on("message", (taken: number) => {
  outstanding -= taken;
  if (outstanding < input.ahead) for (const resume of waiting.splice(0)) resume();
});
const post = (message: ReaderWorkerMessage) => port.postMessage(message);
const types = new Set(input.types);
const reader = createLogClient(input.connection).reader();
try {
  await reader.read(
    input.ranges.map((r) => ({ ...r, from: BigInt(r.from), to: BigInt(r.to) })),
    async (batch) => {
      const records: DecodedRecord[] = [];
      decodeForProjection(batch.records, types, records);
      // One JSON string per batch: copying a string across threads is a memcpy, and JSON.parse
      // builds the objects faster than a structured clone of them does (docs/benchmarks.md §8).
      const json = JSON.stringify(records);
      post({ kind: "batch", topic: batch.topic, partition: batch.partition, json });
      outstanding += records.length;
      while (outstanding >= input.ahead) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
        });
      }
    },
  );
  post({ kind: "done" });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ kind: "failed", name: e.name, message: e.message, stack: e.stack ?? "" });
} finally {
  await reader.close().catch(() => undefined);
}
