import type { EventEnvelope } from "../../events/envelope.ts";
import { BloomFilter } from "./bloom.ts";
import { RebuildStalledError } from "./errors.ts";
import type { LogAdmin, LogClient, LogReader, RecordRange } from "./log/port.ts";
import type { Projection } from "./projector.ts";
import { FLUSH_ATTRIBUTE } from "./read-models.ts";
import type { DecodedRecord } from "./rebuild-decode.ts";
import { readInline, readOnWorker, workerWorthIt } from "./rebuild-reader.ts";
import type { RebuildCheckpoint, RebuildItems } from "./view-batch-store.ts";
import {
  type FoldPlan,
  foldPlan,
  type ItemKey,
  type ItemState,
  itemKeyOf,
  planFold,
} from "./view-fold.ts";

/** Progress of a rebuild, reported as it goes (and stored with each checkpoint). */
export interface RebuildProgress {
  /** Log records read and written through (this run plus what a resumed checkpoint held). */
  readonly events: number;
  /** Records of this run only (the rate is over these). */
  readonly eventsThisRun: number;
  /** Events applied (not duplicates, of the projection's types). */
  readonly applied: number;
  readonly duplicates: number;
  /** Records that are not catalog events (the live projector dead-letters them). */
  readonly skipped: number;
  /** Records between the written positions and the targets. */
  readonly remaining: number;
  readonly eventsPerSecond: number;
  /** Estimated time to the targets at the current rate; undefined before the first flush. */
  readonly etaMs: number | undefined;
  readonly elapsedMs: number;
  /** Flushes written (the checkpoint's number). */
  readonly flush: number;
  readonly itemsWritten: number;
  /** Set when this run resumed from a checkpoint: the records it held. */
  readonly resumedAt?: number | undefined;
  /** Whether the records were read and decoded on a worker thread (the latest read, if any). */
  readonly readOnWorker: boolean;
}

export interface LogRebuildOptions {
  readonly log: LogClient;
  readonly admin: LogAdmin;
  readonly items: RebuildItems;
  readonly projection: Projection;
  /** Physical topics to read (the projector's topics, in the run's namespace). */
  readonly topics: readonly string[];
  /** The read-model version to write; nothing else may write it while this runs. */
  readonly version: number;
  /** Save a checkpoint per flush and resume from a saved one (default true). */
  readonly checkpoints?: boolean;
  /** Events per flush (default 10,000): more folding, fewer writes, more memory. */
  readonly flushEvents?: number;
  /** Records decoded and waiting for a flush at most (default 4 × flushEvents). */
  readonly bufferEvents?: number;
  /** Item states kept in memory between flushes (default 200,000). */
  readonly cacheItems?: number;
  /** A rebuild that makes no progress this long fails (default 120 s); there is no overall limit. */
  readonly stallTimeoutMs?: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
  readonly signal?: AbortSignal;
  /**
   * Read and decode on a worker thread while this one folds and writes: `auto` when the machine
   * has `WORKER_MIN_CORES` (4) cores or more, the log client can be opened on another thread
   * (`log.connection`) and a read spans at least `WORKER_MIN_RECORDS` (50,000) records.
   *
   * @default "auto"
   */
  readonly readOnWorker?: boolean | "auto";
}

/** Interrupted through the options' abort signal. */
export class RebuildAbortedError extends Error {
  constructor(projection: string, version: number) {
    super(`rebuild of ${projection} v${version} was interrupted; resume it from its checkpoint`);
    this.name = "RebuildAbortedError";
  }
}

/**
 * A projection rebuilt from the log into one version, a batch at a time: records are read by
 * offset range without a consumer group (partitions fetched together, decoded as they arrive, at
 * most `bufferEvents` waiting), and each flush folds up to `flushEvents` events per read-model item in
 * memory ({@link foldEvents}) and writes every changed item once with BatchWriteItem.
 *
 * Crash safety: before a flush writes anything, the checkpoint records where it ends; the flush
 * writes the view items, then the guard items, then the checkpoint. A run that resumes redoes an
 * unfinished flush over exactly the same records and leaves alone the items that flush already
 * wrote (they carry its number): the result is the one an uninterrupted run gives.
 *
 * @example
 * ```ts
 * const rebuild = await LogRebuild.open({ log, admin, items, projection, topics, version: 2,
 * });
 * await rebuild.runTo(await rebuild.endOffsets());
 * await rebuild.close();
 * ```
 */
export class LogRebuild {
  readonly #o: LogRebuildOptions;
  readonly #flushEvents: number;
  readonly #bufferEvents: number;
  readonly #cacheItems: number;
  readonly #stallTimeoutMs: number;
  readonly #positions: Map<string, bigint>;
  readonly #low: Map<string, bigint>;
  #inflight: RebuildCheckpoint["inflight"];
  #flush: number;
  /**
   * Items known to be absent (`null`) or their state, in two generations: an item is remembered in
   * the young one; once that holds half of `cacheItems` (checked between flushes), it becomes the
   * old one and the old one is dropped. Every item a flush reads or changes is remembered again,
   * so the items in use stay.
   */
  #young = new Map<string, ItemState | null>();
  #old = new Map<string, ItemState | null>();
  /** On a fresh version: every item ever written (so an item not in it needs no read). */
  readonly #written: BloomFilter | undefined;
  readonly #buffer = new Map<string, DecodedRecord[]>();
  #buffered = 0;
  readonly #reader: LogReader;
  #reading: Promise<void> | undefined;
  #closed = false;
  readonly #abort = new AbortController();
  #failure: unknown;
  #wake: () => void = () => undefined;
  #spaceWaiters: (() => void)[] = [];
  #targets = new Map<string, bigint>();
  readonly #startedAt = Date.now();
  readonly #resumedAt: number | undefined;
  #lastProgressAt = Date.now();
  #eventsThisRun = 0;
  #applied = 0;
  #duplicates = 0;
  #skipped = 0;
  #lastReport = 0;
  #readOnWorker = false;

  private constructor(
    options: LogRebuildOptions,
    low: Map<string, bigint>,
    checkpoint: RebuildCheckpoint | undefined,
  ) {
    this.#o = options;
    this.#flushEvents = options.flushEvents ?? 10_000;
    this.#bufferEvents = options.bufferEvents ?? this.#flushEvents * 4;
    this.#cacheItems = options.cacheItems ?? 200_000;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? 120_000;
    this.#low = low;
    this.#positions = new Map(low);
    for (const [key, offset] of Object.entries(checkpoint?.positions ?? {})) {
      this.#positions.set(key, BigInt(offset));
    }
    this.#inflight = checkpoint?.inflight;
    this.#flush = checkpoint?.flush ?? 0;
    this.#written = checkpoint === undefined ? new BloomFilter(1 << 25) : undefined;
    this.#resumedAt = checkpoint === undefined ? undefined : this.#done();
    this.#reader = options.log.reader();
  }

  /** Opens a rebuild: from its checkpoint when one was saved, else from the start of the log. */
  static async open(options: LogRebuildOptions): Promise<LogRebuild> {
    const low = new Map<string, bigint>();
    for (const topic of options.topics) {
      for (const p of await options.admin.topicOffsets(topic)) {
        low.set(`${topic}:${p.partition}`, BigInt(p.low));
      }
    }
    const checkpoint =
      options.checkpoints === false
        ? undefined
        : await options.items.checkpoint(options.projection.name, options.version);
    return new LogRebuild(options, low, checkpoint);
  }

  /** The end of each partition now (what "caught up" means at this moment). */
  async endOffsets(): Promise<Map<string, bigint>> {
    const ends = new Map<string, bigint>();
    for (const topic of this.#o.topics) {
      for (const p of await this.#o.admin.topicOffsets(topic)) {
        ends.set(`${topic}:${p.partition}`, BigInt(p.high));
      }
    }
    return ends;
  }

  /** Whether this run continues a checkpoint (and from how many records). */
  get resumedAt(): number | undefined {
    return this.#resumedAt;
  }

  /** Written positions per `topic:partition` (next offset to read). */
  positions(): ReadonlyMap<string, bigint> {
    return this.#positions;
  }

  /**
   * Reads and writes until every partition is written up to its target (exclusive). Targets may
   * grow between calls (a hand-over reads on to the live group's offsets).
   */
  async runTo(targets: ReadonlyMap<string, bigint>): Promise<RebuildProgress> {
    const wanted = new Map(targets);
    for (const [key, end] of Object.entries(this.#inflight?.to ?? {})) {
      if (BigInt(end) > (wanted.get(key) ?? 0n)) wanted.set(key, BigInt(end));
    }
    for (const [key, to] of wanted) {
      if (to > (this.#targets.get(key) ?? 0n)) this.#targets.set(key, to);
    }
    this.#lastProgressAt = Date.now();
    if (this.#remaining() === 0 && this.#inflight === undefined) return this.#report(true);
    await this.#reading;
    this.#startReading();
    while (this.#remaining() > 0 || this.#inflight !== undefined) {
      const inflight = this.#inflight;
      const ready =
        inflight !== undefined
          ? this.#bufferedReaches(inflight.to)
          : this.#buffered >= this.#flushEvents ||
            (this.#buffered > 0 && (this.#reading === undefined || this.#bufferedReachesTargets()));
      if (ready) {
        await this.#flushBuffered(inflight);
        this.#lastProgressAt = Date.now();
        this.#report(false);
        continue;
      }
      await this.#waitForRecords();
    }
    return this.#report(true);
  }

  progress(): RebuildProgress {
    const elapsedMs = Date.now() - this.#startedAt;
    const rate = elapsedMs === 0 ? 0 : (this.#eventsThisRun * 1000) / elapsedMs;
    const remaining = this.#remaining();
    return {
      events: this.#done(),
      eventsThisRun: this.#eventsThisRun,
      applied: this.#applied,
      duplicates: this.#duplicates,
      skipped: this.#skipped,
      remaining,
      eventsPerSecond: rate,
      etaMs: rate > 0 ? (remaining / rate) * 1000 : undefined,
      elapsedMs,
      flush: this.#flush,
      itemsWritten: this.#o.items.stats.itemsWritten,
      resumedAt: this.#resumedAt,
      readOnWorker: this.#readOnWorker,
    };
  }

  /** Stops reading. What was read but not written is dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    for (const resolve of this.#spaceWaiters.splice(0)) resolve();
    await this.#reading?.catch(() => undefined);
    await this.#reader.close();
    this.#buffer.clear();
    this.#buffered = 0;
  }

  #done(): number {
    let n = 0n;
    for (const [key, at] of this.#positions) n += at - (this.#low.get(key) ?? at);
    return Number(n);
  }

  #remaining(): number {
    let n = 0n;
    for (const [key, to] of this.#targets) {
      const at = this.#positions.get(key) ?? 0n;
      if (to > at) n += to - at;
    }
    return Number(n);
  }

  /** Reads from where the buffer ends to the targets, in the background. */
  #startReading(): void {
    const ranges: RecordRange[] = [];
    for (const [key, to] of this.#targets) {
      const from = this.#lastBuffered(key) ?? this.#positions.get(key) ?? 0n;
      if (to <= from) continue;
      const at = key.lastIndexOf(":");
      ranges.push({ topic: key.slice(0, at), partition: Number(key.slice(at + 1)), from, to });
    }
    if (ranges.length === 0) return;
    const types = this.#o.projection.eventTypes as ReadonlySet<string>;
    const onDecoded = async (
      topic: string,
      partition: number,
      records: readonly DecodedRecord[],
    ) => {
      const key = `${topic}:${partition}`;
      let queue = this.#buffer.get(key);
      if (queue === undefined) {
        queue = [];
        this.#buffer.set(key, queue);
      }
      for (const record of records) queue.push(record);
      this.#buffered += records.length;
      this.#lastProgressAt = Date.now();
      this.#wake();
      while (this.#buffered >= this.#bufferEvents && !this.#closed) {
        await new Promise<void>((resolve) => {
          this.#spaceWaiters.push(resolve);
        });
      }
    };
    const records = ranges.reduce((n, r) => n + Number(r.to - r.from), 0);
    const connection = this.#o.log.connection;
    const onWorker =
      this.#o.readOnWorker === true
        ? connection !== undefined
        : this.#o.readOnWorker !== false && workerWorthIt(connection, records);
    this.#readOnWorker = onWorker;
    const signal = this.#abort.signal;
    const { name, version } = { name: this.#o.projection.name, version: this.#o.version };
    this.#reading = (
      onWorker && connection !== undefined
        ? readOnWorker(connection, ranges, types, name, version, onDecoded, signal)
        : readInline(this.#reader, ranges, types, onDecoded, signal)
    ).then(
      () => {
        this.#reading = undefined;
        this.#wake();
      },
      (error: unknown) => {
        this.#reading = undefined;
        this.#failure = error;
        this.#wake();
      },
    );
  }

  #lastBuffered(key: string): bigint | undefined {
    const queue = this.#buffer.get(key);
    const last = queue?.[queue.length - 1];
    return last === undefined ? undefined : BigInt(last.offset + 1);
  }

  #bufferedReaches(to: Readonly<Record<string, string>>): boolean {
    return Object.entries(to).every(
      ([key, end]) => (this.#lastBuffered(key) ?? this.#positions.get(key) ?? 0n) >= BigInt(end),
    );
  }

  #bufferedReachesTargets(): boolean {
    for (const [key, to] of this.#targets) {
      if ((this.#lastBuffered(key) ?? this.#positions.get(key) ?? 0n) < to) return false;
    }
    return true;
  }

  async #waitForRecords(): Promise<void> {
    const o = this.#o;
    if (this.#failure !== undefined) throw this.#failure;
    if (o.signal?.aborted) throw new RebuildAbortedError(o.projection.name, o.version);
    const stalledMs = Date.now() - this.#lastProgressAt;
    if (stalledMs > this.#stallTimeoutMs) {
      throw new RebuildStalledError(o.projection.name, o.version, stalledMs, this.#remaining());
    }
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      setTimeout(resolve, 100);
    });
    this.#report(false);
  }

  /** Takes the buffered records (exactly up to `inflight.to` when redoing) and writes them. */
  async #flushBuffered(inflight: RebuildCheckpoint["inflight"]): Promise<void> {
    const o = this.#o;
    const events: EventEnvelope[] = [];
    const to: Record<string, string> = {};
    const taken = new Map<string, number>();
    let records = 0;
    for (const [key, queue] of this.#buffer) {
      const end = inflight === undefined ? undefined : Number(inflight.to[key] ?? "-1");
      // A redo takes exactly its records; a new flush at most `flushEvents` (prefixes per partition).
      const limit = end === undefined ? this.#flushEvents - records : queue.length;
      let n = 0;
      while (
        n < queue.length &&
        n < limit &&
        (end === undefined || (queue[n] as DecodedRecord).offset < end)
      )
        n++;
      if (n === 0) continue;
      for (let i = 0; i < n; i++) {
        const event = (queue[i] as DecodedRecord).event;
        if (event === undefined) this.#skipped++;
        else if (event !== null) events.push(event);
      }
      to[key] = String((queue[n - 1] as DecodedRecord).offset + 1);
      taken.set(key, n);
      records += n;
    }
    const flush = inflight?.flush ?? this.#flush + 1;
    if (inflight === undefined && o.checkpoints !== false) {
      await o.items.saveCheckpoint(
        o.projection.name,
        o.version,
        { flush: this.#flush, positions: this.#positionsRecord(), inflight: { flush, to } },
        this.#figures(),
      );
    }
    const plan = planFold(o.projection, o.version, events);
    this.#age();
    const frozen = await this.#loadMissing(plan, inflight === undefined ? undefined : flush);
    const folded = foldPlan(
      plan,
      (id) => this.#cached(id),
      (id) => frozen.has(id),
    );
    // Views first, guards after: a crash in between leaves guards that still say which events
    // the unfinished flush must apply (see the class comment).
    await o.items.put(folded.views, flush);
    await o.items.put(folded.guards, flush);
    for (const changed of [folded.views, folded.guards]) {
      for (const [id, state] of changed) {
        this.#remember(id, state);
        this.#written?.add(id);
      }
    }
    this.#applied += folded.applied;
    this.#duplicates += folded.duplicates;
    this.#eventsThisRun += records;
    for (const [key, end] of Object.entries(to)) {
      this.#positions.set(key, BigInt(end));
      // The flush took a prefix of each queue (offsets below `end`).
      const n = taken.get(key) ?? 0;
      this.#buffer.get(key)?.splice(0, n);
      this.#buffered -= n;
    }
    this.#flush = flush;
    this.#inflight = undefined;
    for (const resolve of this.#spaceWaiters.splice(0)) resolve();
    if (o.checkpoints !== false) {
      await o.items.saveCheckpoint(
        o.projection.name,
        o.version,
        { flush, positions: this.#positionsRecord() },
        this.#figures(),
      );
    }
  }

  /** Loads the items the fold needs and the cache lacks; returns those a redone flush wrote. */
  async #loadMissing(plan: FoldPlan, redoing: number | undefined) {
    const missing: ItemKey[] = [];
    const missingIds: string[] = [];
    for (const id of plan.keys) {
      if (this.#young.has(id)) continue;
      const old = this.#old.get(id);
      if (old !== undefined) {
        this.#remember(id, old);
        continue;
      }
      // Known absent: nothing to read, and the fold's result is remembered after the flush.
      if (this.#written !== undefined && !this.#written.mayContain(id)) continue;
      missing.push(itemKeyOf(id));
      missingIds.push(id);
    }
    const frozen = new Set<string>();
    if (missing.length === 0) return frozen;
    const loaded = await this.#o.items.load(missing);
    for (const id of missingIds) {
      const item = loaded.get(id);
      if (item === undefined) {
        this.#remember(id, null);
        continue;
      }
      const { [FLUSH_ATTRIBUTE]: writtenBy, ...state } = item;
      if (redoing !== undefined && Number(writtenBy) === redoing) frozen.add(id);
      this.#remember(id, state);
    }
    return frozen;
  }

  #cached(id: string): ItemState | undefined {
    const state = this.#young.get(id) ?? this.#old.get(id);
    return state === null ? undefined : state;
  }

  #remember(id: string, state: ItemState | null): void {
    // No per-item recency: a Map kept in LRU order costs a delete and a set per touch, and
    // evicting from its front walks the entries deleted before (~1 ms per record at 10^6, see
    // docs/benchmarks.md §8). Two generations bound it the same way for one set per touch.
    this.#young.set(id, state);
  }

  /** Between flushes only: a flush's items stay in memory from its loads to its writes. */
  #age(): void {
    if (this.#young.size >= this.#cacheItems / 2) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }

  #positionsRecord(): Record<string, string> {
    return Object.fromEntries([...this.#positions].map(([k, v]) => [k, String(v)]));
  }

  #figures(): Record<string, unknown> {
    const p = this.progress();
    const total = p.events + p.remaining;
    return {
      events: p.events,
      total,
      remaining: p.remaining,
      eventsPerSecond: Math.round(p.eventsPerSecond),
      etaSeconds: p.etaMs === undefined ? null : Math.round(p.etaMs / 1000),
      elapsedMs: p.elapsedMs,
      flush: p.flush,
      itemsWritten: p.itemsWritten,
      at: new Date().toISOString(),
    };
  }

  #report(final: boolean): RebuildProgress {
    const progress = this.progress();
    if (final || Date.now() - this.#lastReport > 1_000) {
      this.#lastReport = Date.now();
      this.#o.onProgress?.(progress);
    }
    return progress;
  }
}
