import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { RebuildReadError } from "./errors.ts";
import type { LogConnection, LogReader, RecordRange } from "./log/port.ts";
import { type DecodedRecord, decodeForProjection } from "./rebuild-decode.ts";

/**
 * Where a rebuild's records are read and decoded: on the thread that folds them, or on a worker
 * thread of their own. Reading and decoding (fetch, record batches, headers, JSON, the catalog's
 * validation) are about half of a rebuild's CPU; on a second core they run while the first
 * folds, and the envelopes cross threads by structured clone (docs/benchmarks.md §8).
 */

/** Gets a partition's decoded records in log order; resolves when the rebuild has room for more. */
export type OnDecoded = (
  topic: string,
  partition: number,
  records: readonly DecodedRecord[],
) => Promise<void>;

/** What the worker thread is given (structured-clone-able: offsets as decimal strings). */
export interface ReaderWorkerInput {
  readonly connection: LogConnection;
  readonly ranges: readonly {
    topic: string;
    partition: number;
    from: string;
    to: string;
  }[];
  readonly types: readonly string[];
  /** Records the worker may post ahead of what the folding thread took. */
  readonly ahead: number;
}

/** What the worker thread posts. */
export type ReaderWorkerMessage =
  | {
      readonly kind: "batch";
      readonly topic: string;
      readonly partition: number;
      /** The batch's {@link DecodedRecord}s as JSON (an absent `event`: not a catalog event). */
      readonly json: string;
    }
  | { readonly kind: "done" }
  | { readonly kind: "failed"; readonly name: string; readonly message: string; stack: string };

/** Records a read must span before a worker thread pays for its start (~0.3 s of module loading). */
export const WORKER_MIN_RECORDS = 50_000;

/**
 * Cores a machine needs before `auto` reads on a worker. On 2 cores (with the broker and DynamoDB
 * Local on them) the worker read order-summary's 533,047 records ~10 % faster than the fold's own
 * thread and the smaller projections no faster, for ~30 % more CPU (docs/benchmarks.md §8); with
 * 4 cores or more there is a core for each thread beside the rest.
 */
export const WORKER_MIN_CORES = 4;

/**
 * Whether a read of `records` records is worth a worker thread: spare cores, a client another
 * thread can open, and enough records.
 */
export function workerWorthIt(
  connection: LogConnection | undefined,
  records: number,
  cores: number = availableParallelism(),
): connection is LogConnection {
  return connection !== undefined && cores >= WORKER_MIN_CORES && records >= WORKER_MIN_RECORDS;
}

/** Reads and decodes on this thread, with the rebuild's own reader. */
export async function readInline(
  reader: LogReader,
  ranges: readonly RecordRange[],
  types: ReadonlySet<string>,
  onDecoded: OnDecoded,
  signal: AbortSignal,
): Promise<void> {
  await reader.read(
    ranges,
    async (batch) => {
      const records: DecodedRecord[] = [];
      decodeForProjection(batch.records, types, records);
      await onDecoded(batch.topic, batch.partition, records);
    },
    { signal },
  );
}

/**
 * Reads and decodes on a worker thread with a client of its own ({@link ReaderWorkerInput}); the
 * batches are handed to `onDecoded` one at a time, in the order the worker posted them (so each
 * partition's in log order), and the worker reads on only as `onDecoded` resolves. Aborting
 * terminates the worker.
 *
 * @example
 * ```ts
 * await readOnWorker(log.connection, ranges, projection.eventTypes, "order-summary", 2,
 *   async (topic, partition, records) => buffer(records), abort.signal);
 * ```
 */
export function readOnWorker(
  connection: LogConnection,
  ranges: readonly RecordRange[],
  types: ReadonlySet<string>,
  projection: string,
  version: number,
  onDecoded: OnDecoded,
  signal: AbortSignal,
  ahead = 20_000,
): Promise<void> {
  const input: ReaderWorkerInput = {
    connection,
    ranges: ranges.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      from: String(r.from),
      to: String(r.to),
    })),
    types: [...types],
    ahead,
  };
  const worker = new Worker(new URL("./rebuild-reader-worker.ts", import.meta.url), {
    workerData: input,
  });
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let done = false;
    let handed: Promise<void> = Promise.resolve();
    let taken = 0;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      void worker.terminate();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => settle();
    signal.addEventListener("abort", onAbort);
    worker.on("message", (message: ReaderWorkerMessage) => {
      if (message.kind === "batch") {
        handed = handed
          .then(() => {
            const records = JSON.parse(message.json) as DecodedRecord[];
            taken = records.length;
            return onDecoded(message.topic, message.partition, records);
          })
          .then(
            () => {
              if (!settled) worker.postMessage(taken);
            },
            (error: unknown) => settle(error),
          );
      } else if (message.kind === "done") {
        done = true;
        void handed.then(() => settle());
      } else {
        const cause = Object.assign(new Error(message.message), {
          name: message.name,
          stack: message.stack,
        });
        settle(new RebuildReadError(projection, version, "failed", { cause }));
      }
    });
    worker.on("error", (error) =>
      settle(new RebuildReadError(projection, version, "crashed", { cause: error })),
    );
    worker.on("exit", (code) => {
      if (done) return;
      settle(new RebuildReadError(projection, version, `exited (code ${code}) before it was done`));
    });
  });
}
