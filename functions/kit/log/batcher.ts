import type { IncomingRecord, PartitionBatch } from "./port.ts";

/**
 * Turns a stream of records from many partitions into per-partition batches, the way Lambda's MSK
 * event source mapping does: a batch goes out when it reaches `maxBatchSize` or `maxWaitMs` after
 * its first record; batches of one partition are handled one at a time, in offset order, while
 * different partitions proceed concurrently. Used by the adapters whose client hands over single
 * messages.
 */
export interface BatcherOptions<TMessage> {
  readonly maxBatchSize: number;
  readonly maxWaitMs: number;
  /** Buffered records (all partitions) above which the source should pause. */
  readonly highWaterMark: number;
  readonly toRecord: (message: TMessage) => IncomingRecord;
  readonly onBatch: (batch: PartitionBatch, messages: readonly TMessage[]) => Promise<void>;
  readonly onPressure: (paused: boolean) => void;
  readonly onError: (error: unknown) => void;
}

interface Lane<TMessage> {
  readonly topic: string;
  readonly partition: number;
  buffer: TMessage[];
  records: IncomingRecord[];
  timer: NodeJS.Timeout | undefined;
  busy: boolean;
}

export class PartitionBatcher<TMessage> {
  readonly #options: BatcherOptions<TMessage>;
  readonly #lanes = new Map<string, Lane<TMessage>>();
  #buffered = 0;
  #paused = false;
  #failed = false;
  readonly #inflight = new Set<Promise<void>>();

  constructor(options: BatcherOptions<TMessage>) {
    this.#options = options;
  }

  push(message: TMessage): void {
    if (this.#failed) return;
    const record = this.#options.toRecord(message);
    const key = `${record.topic}\u0000${record.partition}`;
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = {
        topic: record.topic,
        partition: record.partition,
        buffer: [],
        records: [],
        timer: undefined,
        busy: false,
      };
      this.#lanes.set(key, lane);
    }
    lane.buffer.push(message);
    lane.records.push(record);
    this.#buffered += 1;
    if (!this.#paused && this.#buffered >= this.#options.highWaterMark) {
      this.#paused = true;
      this.#options.onPressure(true);
    }
    this.#schedule(lane);
  }

  /** Waits for every batch handed over so far. */
  async drain(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Drops buffered records (they were not committed, so the group re-reads them). */
  clear(): void {
    for (const lane of this.#lanes.values()) if (lane.timer) clearTimeout(lane.timer);
    this.#lanes.clear();
    this.#buffered = 0;
  }

  #schedule(lane: Lane<TMessage>): void {
    if (lane.busy || lane.buffer.length === 0) return;
    if (lane.buffer.length >= this.#options.maxBatchSize) {
      this.#flush(lane);
    } else if (lane.timer === undefined) {
      lane.timer = setTimeout(() => this.#flush(lane), this.#options.maxWaitMs);
    }
  }

  #flush(lane: Lane<TMessage>): void {
    if (lane.timer !== undefined) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
    }
    if (lane.busy || lane.buffer.length === 0 || this.#failed) return;
    const size = Math.min(lane.buffer.length, this.#options.maxBatchSize);
    const messages = lane.buffer.splice(0, size);
    const records = lane.records.splice(0, size);
    lane.busy = true;
    const work = this.#options
      .onBatch({ topic: lane.topic, partition: lane.partition, records }, messages)
      .then(
        () => {
          lane.busy = false;
          this.#buffered -= size;
          if (this.#paused && this.#buffered < this.#options.highWaterMark / 2) {
            this.#paused = false;
            this.#options.onPressure(false);
          }
          this.#schedule(lane);
        },
        (error: unknown) => {
          this.#failed = true;
          this.#options.onError(error);
        },
      )
      .finally(() => this.#inflight.delete(work));
    this.#inflight.add(work);
  }
}
