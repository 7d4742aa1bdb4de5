import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { threadId } from "node:worker_threads";

/**
 * The run history: what every producer and consumer did, recorded for the history checker
 * (`localstack/history/`), in the spirit of Jepsen's histories and Kafka's verifiable producer
 * and consumer. Off unless `DUPLEX_HISTORY_DIR` is set (the local stack sets it for `npm start`
 * and the drills; CDK never does, so it is off on AWS). When on, each execution environment
 * appends JSON lines to a file of its own in that folder, buffered: a write per invocation (the
 * handlers flush before they answer), or per second in a long-running process. The record format
 * is documented in `docs/reliability.md`.
 */

/** What became of one publish call. */
export interface PublishEntry {
  readonly k: "publish";
  /** Epoch milliseconds, fractional (sub-millisecond order within one environment). */
  readonly at: number;
  /** Who published: a function name, or the driver (`driver` for the demo's order placer). */
  readonly src: string;
  readonly ids: readonly string[];
  readonly types: readonly string[];
  /** Kafka keys (aggregate ids). */
  readonly keys: readonly string[];
  /** Physical topics, one per event (acknowledged only). */
  readonly topics?: readonly string[];
  readonly outcome: "acknowledged" | "refused";
  /** Per event, `[partition, offset]` as the broker acknowledged them (acknowledged only). */
  readonly positions?: readonly (readonly [number, string])[];
  readonly attempts: number;
  readonly ms: number;
  /** Why the log refused (refused only). */
  readonly error?: string;
}

/** What the fast lane did with the critical commands of an acknowledged publish. */
export interface FastLaneEntry {
  readonly k: "fast-lane";
  readonly at: number;
  readonly src: string;
  readonly delivered: readonly string[];
  readonly failed: readonly string[];
}

/**
 * How one function settled one event: `applied` (its state or view changed), `repeat` (it had
 * seen the event before: idempotency record, handled id or sequence guard), `unchanged` (seen
 * for the first time, but nothing to do), `ignored` (a type the function does not handle),
 * `dead-lettered`, or `failed` (thrown; the event comes back).
 */
export type EffectOutcome =
  | "applied"
  | "repeat"
  | "unchanged"
  | "ignored"
  | "dead-lettered"
  | "failed";

export interface EffectEntry {
  readonly k: "effect";
  readonly at: number;
  /** The function. */
  readonly src: string;
  readonly via: "log" | "fast-lane";
  readonly id: string;
  readonly type: string;
  readonly key: string;
  /** Physical topic, partition and offset of the record (log deliveries). */
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly outcome: EffectOutcome;
  /** Why the handling threw (outcome `failed`, or `applied` when it threw after applying). */
  readonly error?: string;
}

export type HistoryEntry = PublishEntry | FastLaneEntry | EffectEntry;

/** The environment variable that turns recording on: a folder for the JSONL files. */
export const HISTORY_DIR_ENV = "DUPLEX_HISTORY_DIR";

/** A recorder; {@link history} gives this environment's. */
export interface History {
  readonly enabled: boolean;
  record(entry: HistoryEntry): void;
  /** Writes what is buffered; resolves when it is in the file. */
  flush(): Promise<void>;
}

/** Now, as the history records it: epoch ms with sub-millisecond precision. */
export function historyNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A recorder that records nothing (history off). */
export const noHistory: History = {
  enabled: false,
  record: () => undefined,
  flush: async () => undefined,
};

class FileHistory implements History {
  readonly enabled = true;
  readonly #file: string;
  #buffer: string[] = [];
  #writing: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.#file = join(dir, `${process.pid}-${threadId}-${randomBytes(4).toString("hex")}.jsonl`);
    // A long-running process (the demo's driver, the host) has no invocation end to flush at.
    setInterval(() => void this.flush(), 1_000).unref();
  }

  record(entry: HistoryEntry): void {
    this.#buffer.push(JSON.stringify(entry));
    if (this.#buffer.length >= 1_000) void this.flush();
  }

  flush(): Promise<void> {
    if (this.#buffer.length > 0) {
      const text = `${this.#buffer.join("\n")}\n`;
      this.#buffer = [];
      this.#writing = this.#writing.then(() => appendFile(this.#file, text));
    }
    return this.#writing;
  }
}

/**
 * A recorder writing to a file of its own in `dir` (a process that records for several sources,
 * such as the demo's driver, opens one explicitly).
 */
export function openHistory(dir: string): History {
  return new FileHistory(dir);
}

let current: History | undefined;

/**
 * This execution environment's recorder (one per process or worker thread), on when
 * `DUPLEX_HISTORY_DIR` is set.
 *
 * @example
 * ```ts
 * history().record({ k: "fast-lane", at: historyNow(), src: "order-saga", delivered, failed: [] });
 * await history().flush();
 * ```
 */
export function history(env: NodeJS.ProcessEnv = process.env): History {
  if (current === undefined) {
    const dir = env[HISTORY_DIR_ENV];
    current = dir === undefined || dir === "" ? noHistory : openHistory(dir);
  }
  return current;
}

/** What the code under an adapter tells it about the effect of one event. */
interface EffectScope {
  outcome: EffectOutcome | undefined;
}

const scopes = new AsyncLocalStorage<EffectScope>();

/** What the handling of one event reported, and whether it threw. */
export interface ScopedEffect {
  /** What it reported with {@link reportEffect}, if anything. */
  readonly outcome: EffectOutcome | undefined;
  readonly failed: boolean;
  readonly error?: unknown;
}

/**
 * Runs `work` (the handling of one event) and returns what it reported with {@link reportEffect},
 * also when it threw: a handler that committed and then failed to publish has applied its effect
 * (the retry will find it a repeat). Records of a batch run concurrently; each gets its own scope.
 */
export async function withEffectScope(work: () => Promise<void>): Promise<ScopedEffect> {
  const scope: EffectScope = { outcome: undefined };
  try {
    await scopes.run(scope, work);
    return { outcome: scope.outcome, failed: false };
  } catch (error) {
    return { outcome: scope.outcome, failed: true, error };
  }
}

/**
 * The outcome to record for a scoped handling: what it reported, or `failed` when it threw before
 * applying anything (a handling that applied and then threw is recorded as applied, with the error).
 */
export function recordedOutcome(scoped: ScopedEffect): EffectOutcome {
  if (scoped.failed) return scoped.outcome === "applied" ? "applied" : "failed";
  return scoped.outcome ?? "unchanged";
}

/**
 * Tells the adapter what handling the current event did (the command runner, the projector and
 * the ledger call it). `applied` wins over anything reported before it in the same scope.
 */
export function reportEffect(outcome: EffectOutcome): void {
  const scope = scopes.getStore();
  if (scope === undefined) return;
  if (scope.outcome !== "applied") scope.outcome = outcome;
}
