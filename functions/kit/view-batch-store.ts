import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { backoffDelay, sleep } from "./backoff.ts";
import { RebuildWriteError } from "./errors.ts";
import { FLUSH_ATTRIBUTE } from "./read-models.ts";
import { type ItemKey, type ItemState, itemId, itemKeyOf } from "./view-fold.ts";

/**
 * Read-model items a batch at a time: BatchGetItem (100 keys) to load, BatchWriteItem (25 puts)
 * to write, with unprocessed keys/items retried with backoff, several requests in flight. Items
 * written here carry `FLUSH_ATTRIBUTE`, the number of the rebuild flush that wrote them, so
 * a flush redone after a crash can tell which items already hold it.
 */

/** Where a rebuild stands, stored on its `rebuild#v<N>` item (`checkpoint` attribute). */
export interface RebuildCheckpoint {
  /** Flushes completed. */
  readonly flush: number;
  /** Per `topic:partition`, the next offset to read (everything before it is written). */
  readonly positions: Readonly<Record<string, string>>;
  /** A flush being written: the offsets it ends at (exclusive), to be redone exactly on resume. */
  readonly inflight?: { readonly flush: number; readonly to: Readonly<Record<string, string>> };
}

/** What a rebuild needs of its item store ({@link ViewBatchStore}, or a stand-in in benchmarks). */
export interface RebuildItems {
  /** Items put and requests sent (retries included), for the figures. */
  readonly stats: {
    itemsWritten: number;
    writeRequests: number;
    itemsRead: number;
    readRequests: number;
  };
  load(keys: readonly ItemKey[]): Promise<Map<string, ItemState>>;
  put(items: ReadonlyMap<string, ItemState>, flush: number): Promise<void>;
  checkpoint(projection: string, version: number): Promise<RebuildCheckpoint | undefined>;
  saveCheckpoint(
    projection: string,
    version: number,
    checkpoint: RebuildCheckpoint,
    progress: Readonly<Record<string, unknown>>,
  ): Promise<void>;
}

export interface ViewBatchStoreOptions {
  /** BatchWriteItem / BatchGetItem requests in flight at once (default 8). */
  readonly concurrency?: number;
}

export class ViewBatchStore implements RebuildItems {
  readonly #doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly #concurrency: number;
  readonly stats = { itemsWritten: 0, writeRequests: 0, itemsRead: 0, readRequests: 0 };

  constructor(doc: DynamoDBDocumentClient, tableName: string, options: ViewBatchStoreOptions = {}) {
    this.#doc = doc;
    this.tableName = tableName;
    this.#concurrency = options.concurrency ?? 8;
  }

  /** Loads items by key (strongly consistent); absent ones are missing from the map. */
  async load(keys: readonly ItemKey[]): Promise<Map<string, ItemState>> {
    const found = new Map<string, ItemState>();
    const chunks = chunk(keys, 100);
    await inParallel(chunks, this.#concurrency, async (part) => {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> = {
        [this.tableName]: { Keys: part.map((k) => ({ pk: k.pk, sk: k.sk })), ConsistentRead: true },
      };
      for (let attempt = 0; Object.keys(request).length > 0; attempt++) {
        if (attempt > 0) await sleep(backoffDelay(attempt, { baseDelayMs: 50, maxDelayMs: 2_000 }));
        const result = await this.#doc.send(new BatchGetCommand({ RequestItems: request }));
        this.stats.readRequests++;
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const { pk, sk, ...rest } = item;
          found.set(itemId({ pk: String(pk), sk: String(sk) }), rest);
          this.stats.itemsRead++;
        }
        request = (result.UnprocessedKeys ?? {}) as typeof request;
      }
    });
    return found;
  }

  /** Puts whole items, each tagged with `flush`. */
  async put(items: ReadonlyMap<string, ItemState>, flush: number): Promise<void> {
    const requests = [...items].map(([id, state]) => ({
      PutRequest: { Item: { ...state, ...itemKeyOf(id), [FLUSH_ATTRIBUTE]: flush } },
    }));
    await inParallel(chunk(requests, 25), this.#concurrency, async (part) => {
      let pending: Record<string, typeof part> = { [this.tableName]: part };
      for (let attempt = 0; Object.keys(pending).length > 0; attempt++) {
        if (attempt > 0) await sleep(backoffDelay(attempt, { baseDelayMs: 50, maxDelayMs: 2_000 }));
        if (attempt > 20) throw new RebuildWriteError(this.tableName, part.length);
        const result = await this.#doc.send(new BatchWriteCommand({ RequestItems: pending }));
        this.stats.writeRequests++;
        pending = (result.UnprocessedItems ?? {}) as typeof pending;
      }
      this.stats.itemsWritten += part.length;
    });
  }

  /** The checkpoint of a rebuild, if it wrote one. */
  async checkpoint(projection: string, version: number): Promise<RebuildCheckpoint | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `projection#${projection}`, sk: `rebuild#v${version}` },
        ConsistentRead: true,
      }),
    );
    return Item?.checkpoint as RebuildCheckpoint | undefined;
  }

  /** Writes the checkpoint and, with it, the progress another reader can poll. */
  async saveCheckpoint(
    projection: string,
    version: number,
    checkpoint: RebuildCheckpoint,
    progress: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `projection#${projection}`, sk: `rebuild#v${version}` },
        UpdateExpression: "SET checkpoint = :c, figures = :p, updatedAt = :now",
        ExpressionAttributeValues: {
          ":c": checkpoint,
          ":p": progress,
          ":now": new Date().toISOString(),
        },
      }),
    );
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Runs `work` over `items` with at most `limit` at once; the first failure rejects. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
