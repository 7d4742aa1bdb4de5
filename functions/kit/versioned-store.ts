import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { EventEnvelope } from "../../events/envelope.ts";

/**
 * Versioned items with an outbox, in one DynamoDB table: aggregates and saga instances. A change
 * is one conditional write on the item's version that stores the new state *and* the events it
 * produced (as `outbox#<eventId>` attributes), so state and events commit together or not at all.
 * Events leave the outbox once published; a sparse index (`outbox-pending`) lets the sweeper find
 * items whose events were committed but not published (a crash in between).
 */

/** An item as loaded. */
export interface Stored<S> {
  readonly key: string;
  readonly exists: boolean;
  readonly state: S;
  readonly version: number;
  /** Facts emitted so far; the next fact gets `sequence + 1`. */
  readonly sequence: number;
  /** Committed events not yet marked published, in event id (time) order. */
  readonly outbox: readonly EventEnvelope[];
  /** Ids of the last commands/facts applied here, to recognise a repeat. */
  readonly handled: readonly string[];
  /** Other attributes (e.g. a saga's deadline), as stored. */
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A change to commit. */
export interface ItemChange<S> {
  readonly stored: Stored<S>;
  readonly state: S;
  /** Events to add to this item's outbox (already enveloped, sequence set for facts). */
  readonly events: readonly EventEnvelope[];
  /** How many of `events` are facts of this item (advances `sequence`). */
  readonly factCount: number;
  /** Id to remember as handled (the command or fact that caused the change). */
  readonly handledId?: string | undefined;
  /** Extra attributes to set (index keys such as a saga's deadline). */
  readonly set?: Readonly<Record<string, unknown>>;
  /** Extra attributes to remove. */
  readonly remove?: readonly string[];
}

/** The write lost against a concurrent writer; re-read and decide again. */
export class ConcurrentWriteError extends Error {
  readonly keys: readonly string[];
  constructor(keys: readonly string[], options?: { cause?: unknown }) {
    super(`concurrent write on ${keys.join(", ")}`, options);
    this.name = "ConcurrentWriteError";
    this.keys = keys;
  }
}

const OUTBOX_PREFIX = "outbox#";
const HANDLED_KEEP = 100;
const RESERVED = new Set(["pk", "version", "sequence", "state", "handled", "updatedAt"]);

export interface VersionedStoreOptions {
  /** Partitions of the outbox index; spreads a busy table's pending items. */
  readonly outboxShards?: number;
}

export class VersionedStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly #shards: number;

  constructor(doc: DynamoDBDocumentClient, tableName: string, options: VersionedStoreOptions = {}) {
    this.#doc = doc;
    this.tableName = tableName;
    this.#shards = options.outboxShards ?? 4;
  }

  /**
   * Loads an item with a strongly consistent read; a missing item comes back at version 0 with
   * `initial` as its state.
   *
   * @example
   * ```ts
   * const order = await store.load("Order#o-1", initialOrderState);
   * ```
   */
  async load<S>(key: string, initial: S): Promise<Stored<S>> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true }),
    );
    return fromItem(key, Item, initial);
  }

  /** Loads several items (at most 100) with strongly consistent reads. */
  async loadMany<S>(keys: readonly string[], initial: S): Promise<Map<string, Stored<S>>> {
    const unique = [...new Set(keys)];
    const found = new Map<string, Record<string, unknown>>();
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> = {
      [this.tableName]: { Keys: unique.map((pk) => ({ pk })), ConsistentRead: true },
    };
    while (unique.length > 0 && Object.keys(request).length > 0) {
      const result = await this.#doc.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of result.Responses?.[this.tableName] ?? []) {
        found.set(String(item.pk), item);
      }
      request = (result.UnprocessedKeys ?? {}) as typeof request;
    }
    return new Map(unique.map((key) => [key, fromItem(key, found.get(key), initial)]));
  }

  /**
   * Commits changes atomically, each conditional on the version it was read at. Throws
   * {@link ConcurrentWriteError} when another writer got there first.
   */
  async commit(changes: readonly ItemChange<unknown>[], now: Date = new Date()): Promise<void> {
    const updates = changes.map((change) => this.#update(change, now));
    try {
      if (updates.length === 1 && updates[0] !== undefined) {
        await this.#doc.send(new UpdateCommand(updates[0]));
      } else {
        await this.#doc.send(
          new TransactWriteCommand({ TransactItems: updates.map((Update) => ({ Update })) }),
        );
      }
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ConcurrentWriteError(
          changes.map((c) => c.stored.key),
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Removes published events from an item's outbox. Safe to race with the sweeper: an event
   * someone else already removed is skipped. With `expected` (the version and outbox the caller
   * just committed) the first attempt needs no read.
   */
  async markPublished(
    key: string,
    eventIds: readonly string[],
    expected?: { readonly version: number; readonly outboxIds: readonly string[] },
  ): Promise<void> {
    let known = expected;
    for (let attempt = 0; attempt < 5 && eventIds.length > 0; attempt++) {
      if (known === undefined) {
        const { Item } = await this.#doc.send(
          new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true }),
        );
        if (Item === undefined) return;
        known = {
          version: Number(Item.version),
          outboxIds: Object.keys(Item)
            .filter((k) => k.startsWith(OUTBOX_PREFIX))
            .map((k) => k.slice(OUTBOX_PREFIX.length)),
        };
      }
      const present = eventIds.filter((id) => known?.outboxIds.includes(id));
      if (present.length === 0) return;
      const names: Record<string, string> = { "#version": "version" };
      const removals = present.map((id, i) => {
        names[`#o${i}`] = `${OUTBOX_PREFIX}${id}`;
        return `#o${i}`;
      });
      if (known.outboxIds.length === present.length)
        removals.push("outboxShard", "outboxPendingSince");
      try {
        await this.#doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: key },
            UpdateExpression: `REMOVE ${removals.join(", ")}`,
            ConditionExpression: `#version = :v AND ${removals
              .filter((r) => r.startsWith("#o"))
              .map((r) => `attribute_exists(${r})`)
              .join(" AND ")}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ":v": known.version },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        known = undefined;
      }
    }
  }

  /** Items whose outbox has held events since before `olderThan`, oldest first. */
  async pendingOutbox(olderThan: Date, limit = 100): Promise<string[]> {
    const keys: string[] = [];
    for (let shard = 0; shard < this.#shards && keys.length < limit; shard++) {
      const result = await this.#doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: "outbox-pending",
          KeyConditionExpression: "outboxShard = :s AND outboxPendingSince < :t",
          ExpressionAttributeValues: { ":s": String(shard), ":t": olderThan.toISOString() },
          Limit: limit - keys.length,
        }),
      );
      for (const item of result.Items ?? []) keys.push(String(item.pk));
    }
    return keys;
  }

  /**
   * Items of a sparse index whose sort key is before `before` (e.g. sagas past their deadline),
   * with that sort key, in its order per shard.
   */
  async queryDue(
    indexName: string,
    shardAttribute: string,
    sortAttribute: string,
    shards: readonly string[],
    before: string,
    limit = 100,
  ): Promise<{ key: string; at: string }[]> {
    const due: { key: string; at: string }[] = [];
    for (const shard of shards) {
      let start: Record<string, unknown> | undefined;
      do {
        const result = await this.#doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: indexName,
            KeyConditionExpression: "#shard = :s AND #sort < :t",
            ExpressionAttributeNames: { "#shard": shardAttribute, "#sort": sortAttribute },
            ExpressionAttributeValues: { ":s": shard, ":t": before },
            Limit: limit - due.length,
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        );
        for (const item of result.Items ?? []) {
          due.push({ key: String(item.pk), at: String(item[sortAttribute]) });
        }
        start = result.LastEvaluatedKey;
      } while (start !== undefined && due.length < limit);
      if (due.length >= limit) break;
    }
    return due;
  }

  #update(change: ItemChange<unknown>, now: Date) {
    const { stored } = change;
    const names: Record<string, string> = { "#state": "state", "#version": "version" };
    const values: Record<string, unknown> = {
      ":state": change.state,
      ":next": stored.version + 1,
      ":sequence": stored.sequence + change.factCount,
      ":now": now.toISOString(),
      ":handled":
        change.handledId === undefined
          ? [...stored.handled]
          : [...stored.handled, change.handledId].slice(-HANDLED_KEEP),
    };
    const sets = [
      "#state = :state",
      "#version = :next",
      "#sequence = :sequence",
      "handled = :handled",
      "updatedAt = :now",
    ];
    names["#sequence"] = "sequence";
    change.events.forEach((event, i) => {
      names[`#e${i}`] = `${OUTBOX_PREFIX}${event.eventId}`;
      values[`:e${i}`] = JSON.stringify(event);
      sets.push(`#e${i} = :e${i}`);
    });
    if (change.events.length > 0) {
      values[":shard"] = String(shardOf(stored.key, this.#shards));
      sets.push(
        "outboxShard = :shard",
        "outboxPendingSince = if_not_exists(outboxPendingSince, :now)",
      );
    }
    Object.entries(change.set ?? {}).forEach(([name, value], i) => {
      if (RESERVED.has(name)) throw new Error(`attribute ${name} is managed by the store`);
      names[`#x${i}`] = name;
      values[`:x${i}`] = value;
      sets.push(`#x${i} = :x${i}`);
    });
    const removes = (change.remove ?? []).map((name, i) => {
      names[`#r${i}`] = name;
      return `#r${i}`;
    });
    if (stored.exists) values[":version"] = stored.version;
    return {
      TableName: this.tableName,
      Key: { pk: stored.key },
      UpdateExpression: `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`,
      ConditionExpression: stored.exists ? "#version = :version" : "attribute_not_exists(pk)",
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }
}

function fromItem<S>(
  key: string,
  item: Record<string, unknown> | undefined,
  initial: S,
): Stored<S> {
  if (item === undefined) {
    return {
      key,
      exists: false,
      state: initial,
      version: 0,
      sequence: 0,
      outbox: [],
      handled: [],
      attributes: {},
    };
  }
  const outbox: EventEnvelope[] = [];
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(OUTBOX_PREFIX)) outbox.push(JSON.parse(String(value)) as EventEnvelope);
    else if (!RESERVED.has(name)) attributes[name] = value;
  }
  outbox.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  return {
    key,
    exists: true,
    state: item.state as S,
    version: Number(item.version ?? 0),
    sequence: Number(item.sequence ?? 0),
    outbox,
    handled: (item.handled as string[] | undefined) ?? [],
    attributes,
  };
}

function shardOf(key: string, shards: number): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(hash) % shards;
}

/** Whether a DynamoDB error is a failed condition (single write or inside a transaction). */
export function isConditionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "ConditionalCheckFailedException") return true;
  if (
    error instanceof TransactionCanceledException ||
    error.name === "TransactionCanceledException"
  ) {
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    return reasons.some(
      (r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict",
    );
  }
  return false;
}
