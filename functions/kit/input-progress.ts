import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { InputPosition } from "./watermark.ts";

/**
 * Whether a consumer is stalled, from its committed offsets seen across sweeps: a partition is
 * stalled when it has been behind, without its committed offset moving, for the grace. A slow
 * consumer that moves is never stalled, however far behind; a stopped one is, whatever the cause
 * (a paused mapping, a throttled or crashing function, a poison record being retried).
 */

/** What the sweep remembers of one input partition. */
export interface PartitionProgress {
  /** The committed offset last seen. */
  readonly committed: string;
  /** Since when the partition has been behind at that offset (ISO); absent while caught up. */
  readonly behindSince?: string;
}

/** The partitions' progress, by `topic/partition`. */
export type InputProgress = Readonly<Record<string, PartitionProgress>>;

/**
 * Folds this sweep's positions into what the previous sweeps saw, and names the partitions
 * stalled for at least `graceMs`. A partition first seen behind counts from this sweep.
 *
 * @example
 * ```ts
 * const { progress, stalled } = trackProgress(previous, positions, now, 120_000);
 * stalled; // ["payment-events/3"] when that partition has not moved for two minutes while behind
 * ```
 */
export function trackProgress(
  previous: InputProgress,
  positions: readonly InputPosition[],
  now: Date,
  graceMs: number,
): { progress: InputProgress; stalled: string[]; changed: boolean } {
  const progress: Record<string, PartitionProgress> = {};
  const stalled: string[] = [];
  let changed = Object.keys(previous).length !== positions.length;
  for (const position of positions) {
    const committed = position.committed.toString();
    const before = previous[position.id];
    let current: PartitionProgress = { committed };
    if (position.committed < position.end) {
      const behindSince =
        before?.committed === committed && before.behindSince !== undefined
          ? before.behindSince
          : now.toISOString();
      current = { committed, behindSince };
      if (now.getTime() - Date.parse(behindSince) >= graceMs) stalled.push(position.id);
    }
    progress[position.id] = current;
    if (before?.committed !== current.committed || before.behindSince !== current.behindSince) {
      changed = true;
    }
  }
  return { progress, stalled: stalled.sort(), changed };
}

/** How long the longest-stalled input has been stalled, ms (0 when none is). */
export function longestStallMs(
  progress: InputProgress,
  stalled: readonly string[],
  now: Date,
): number {
  return Math.max(
    0,
    ...stalled.map(
      (id) => now.getTime() - Date.parse(progress[id]?.behindSince ?? now.toISOString()),
    ),
  );
}

/**
 * Keeps {@link InputProgress} in one item of a table (the sweeper's own bookkeeping; a lost update
 * between two overlapping sweeps only delays a stall's detection by a sweep).
 *
 * @example
 * ```ts
 * const store = new InputProgressStore(doc, "duplex-sagas", "SagaSweeper#inputs");
 * await store.save(trackProgress(await store.load(), positions, now, grace).progress, now);
 * ```
 */
export class InputProgressStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #key: string;

  constructor(doc: DynamoDBDocumentClient, table: string, key: string) {
    this.#doc = doc;
    this.#table = table;
    this.#key = key;
  }

  async load(): Promise<InputProgress> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { pk: this.#key }, ConsistentRead: true }),
    );
    return (Item?.inputs as InputProgress | undefined) ?? {};
  }

  async save(progress: InputProgress, now: Date): Promise<void> {
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { pk: this.#key, inputs: progress, updatedAt: now.toISOString() },
      }),
    );
  }
}
