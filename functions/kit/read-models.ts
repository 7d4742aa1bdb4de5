import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { EventEnvelope } from "../../events/envelope.ts";
import { isConditionFailure } from "./versioned-store.ts";

/**
 * Read models (CQRS views) in one DynamoDB table, versioned so that a projection can be rebuilt
 * from the start of the log into a fresh version while the live one keeps serving:
 *
 * - view items: `pk = <projection>#v<version>#<entity>`, `sk = <sub-item>` (usually `view`);
 * - guard items: `pk = <projection>#v<version>#guard#<aggregateType>#<aggregateId>`, holding the
 *   last applied sequence of that aggregate (so duplicates and replays change nothing);
 * - a pointer per projection: `pk = projection#<name>`, `sk = pointer`, with `liveVersion` and,
 *   during a rebuild, `buildingVersion` (projectors write to both until the switch).
 */

/**
 * Bookkeeping attribute of items a batched rebuild wrote (the number of the flush that wrote
 * them, see `log-rebuild.ts`); readers never see it.
 */
export const FLUSH_ATTRIBUTE = "_flush";

/** One change to a view item; attributes are flat. */
export interface ViewUpdate {
  /** Entity id within the projection (order id, product id, minute window, ...). */
  readonly entity: string;
  readonly sk?: string;
  readonly set?: Readonly<Record<string, unknown>>;
  /** Set only where absent (first writer wins: creation fields). */
  readonly setIfAbsent?: Readonly<Record<string, unknown>>;
  readonly add?: Readonly<Record<string, number>>;
  /** Appended to a list attribute. */
  readonly append?: Readonly<Record<string, readonly unknown[]>>;
}

export interface ProjectionPointer {
  readonly liveVersion: number;
  readonly buildingVersion?: number | undefined;
  readonly switchedAt?: string | undefined;
}

/** What applying one event did to one version. */
export type ApplyOutcome = "applied" | "duplicate";

export class ReadModelStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly #pointerCache = new Map<string, { pointer: ProjectionPointer; readAt: number }>();
  readonly #pointerTtlMs: number;

  constructor(
    doc: DynamoDBDocumentClient,
    tableName: string,
    options: { pointerTtlMs?: number } = {},
  ) {
    this.#doc = doc;
    this.tableName = tableName;
    this.#pointerTtlMs = options.pointerTtlMs ?? 2_000;
  }

  /** The document client, for batch access to the same table (rebuilds). */
  get client(): DynamoDBDocumentClient {
    return this.#doc;
  }

  static viewKey(projection: string, version: number, entity: string): string {
    return `${projection}#v${version}#${entity}`;
  }

  /** The projection's pointer (live version 1 until a rebuild switches it). */
  async pointer(projection: string, fresh = false): Promise<ProjectionPointer> {
    const cached = this.#pointerCache.get(projection);
    if (!fresh && cached !== undefined && Date.now() - cached.readAt < this.#pointerTtlMs) {
      return cached.pointer;
    }
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `projection#${projection}`, sk: "pointer" },
        ConsistentRead: true,
      }),
    );
    const pointer: ProjectionPointer = {
      liveVersion: Number(Item?.liveVersion ?? 1),
      buildingVersion:
        Item?.buildingVersion === undefined ? undefined : Number(Item.buildingVersion),
      switchedAt: Item?.switchedAt as string | undefined,
    };
    this.#pointerCache.set(projection, { pointer, readAt: Date.now() });
    return pointer;
  }

  /** Versions a live projector writes to: the live one and, during a rebuild, the new one. */
  async writeVersions(projection: string): Promise<number[]> {
    const pointer = await this.pointer(projection);
    return pointer.buildingVersion === undefined
      ? [pointer.liveVersion]
      : [pointer.liveVersion, pointer.buildingVersion];
  }

  /** Starts a rebuild into `version` (live projectors start writing to it too). */
  async beginRebuild(projection: string, version: number): Promise<void> {
    const current = await this.pointer(projection, true);
    await this.#doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `projection#${projection}`,
          sk: "pointer",
          liveVersion: current.liveVersion,
          buildingVersion: version,
        },
      }),
    );
    this.#pointerCache.delete(projection);
  }

  /** Makes `version` live and stops writing to the old one. */
  async switchTo(projection: string, version: number): Promise<void> {
    await this.#doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `projection#${projection}`,
          sk: "pointer",
          liveVersion: version,
          switchedAt: new Date().toISOString(),
        },
      }),
    );
    this.#pointerCache.delete(projection);
  }

  /** Abandons a rebuild: the building version is no longer written. */
  async cancelRebuild(projection: string): Promise<void> {
    const current = await this.pointer(projection, true);
    await this.switchTo(projection, current.liveVersion);
  }

  /**
   * Applies one event's view updates to one version, once: a guard item per aggregate holds the
   * last applied sequence; an event at or below it is a duplicate and changes nothing. Events
   * without a sequence are guarded by their id.
   */
  async apply(
    projection: string,
    version: number,
    event: EventEnvelope,
    updates: readonly ViewUpdate[],
  ): Promise<ApplyOutcome> {
    const prefix = `${projection}#v${version}`;
    const guard =
      event.sequence === undefined
        ? {
            Put: {
              TableName: this.tableName,
              Item: { pk: `${prefix}#seen#${event.eventId}`, sk: "guard", at: event.occurredAt },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          }
        : {
            Update: {
              TableName: this.tableName,
              Key: {
                pk: `${prefix}#guard#${event.aggregateType}#${event.aggregateId}`,
                sk: "guard",
              },
              UpdateExpression: "SET lastSequence = :seq, lastEventId = :id",
              ConditionExpression: "attribute_not_exists(lastSequence) OR lastSequence < :seq",
              ExpressionAttributeValues: { ":seq": event.sequence, ":id": event.eventId },
            },
          };
    const items = [guard, ...updates.map((u) => ({ Update: this.#update(prefix, u) }))];
    try {
      await this.#doc.send(new TransactWriteCommand({ TransactItems: items }));
      return "applied";
    } catch (error) {
      if (isConditionFailure(error) && isGuardFailure(error)) return "duplicate";
      throw error;
    }
  }

  /** One view item of the live version (or of `version`). */
  async get(
    projection: string,
    entity: string,
    options: { version?: number; sk?: string } = {},
  ): Promise<Record<string, unknown> | undefined> {
    const version = options.version ?? (await this.pointer(projection, true)).liveVersion;
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: ReadModelStore.viewKey(projection, version, entity), sk: options.sk ?? "view" },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : stripKeys(Item);
  }

  /** Every view item of a version, keyed by `entity` (+ `/sk` when not `view`). For checks. */
  async all(projection: string, version: number): Promise<Map<string, Record<string, unknown>>> {
    const prefix = `${projection}#v${version}#`;
    const views = new Map<string, Record<string, unknown>>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression:
            "begins_with(pk, :p) AND NOT contains(pk, :guard) AND NOT contains(pk, :seen)",
          ExpressionAttributeValues: { ":p": prefix, ":guard": "#guard#", ":seen": "#seen#" },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) {
        const entity = String(item.pk).slice(prefix.length);
        const sk = String(item.sk);
        views.set(sk === "view" ? entity : `${entity}/${sk}`, stripKeys(item));
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return views;
  }

  /** The sub-items of one entity (e.g. a customer's orders), by sort key. */
  async items(projection: string, entity: string, version?: number) {
    const v = version ?? (await this.pointer(projection, true)).liveVersion;
    const result = await this.#doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": ReadModelStore.viewKey(projection, v, entity) },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).map(stripKeys);
  }

  #update(prefix: string, update: ViewUpdate) {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const adds: string[] = [];
    let n = 0;
    const name = (attribute: string) => {
      const alias = `#a${n}`;
      names[alias] = attribute;
      return alias;
    };
    const value = (v: unknown) => {
      const alias = `:v${n++}`;
      values[alias] = v;
      return alias;
    };
    for (const [k, v] of Object.entries(update.set ?? {})) sets.push(`${name(k)} = ${value(v)}`);
    for (const [k, v] of Object.entries(update.setIfAbsent ?? {})) {
      const alias = name(k);
      sets.push(`${alias} = if_not_exists(${alias}, ${value(v)})`);
    }
    for (const [k, v] of Object.entries(update.append ?? {})) {
      const alias = name(k);
      const empty = value([]);
      sets.push(`${alias} = list_append(if_not_exists(${alias}, ${empty}), ${value(v)})`);
    }
    for (const [k, v] of Object.entries(update.add ?? {})) adds.push(`${name(k)} ${value(v)}`);
    const expression = [
      sets.length > 0 ? `SET ${sets.join(", ")}` : "",
      adds.length > 0 ? `ADD ${adds.join(", ")}` : "",
    ]
      .filter((part) => part !== "")
      .join(" ");
    return {
      TableName: this.tableName,
      Key: { pk: `${prefix}#${update.entity}`, sk: update.sk ?? "view" },
      UpdateExpression: expression === "" ? "SET touchedAt = :now" : expression,
      ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
      ExpressionAttributeValues: expression === "" ? { ":now": new Date().toISOString() } : values,
    };
  }

  /** Deletes nothing: old versions stay until an operator removes them (cheap, and auditable). */
  async markRebuildProgress(projection: string, version: number, progress: unknown): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `projection#${projection}`, sk: `rebuild#v${version}` },
        UpdateExpression: "SET progress = :p, updatedAt = :now",
        ExpressionAttributeValues: { ":p": progress, ":now": new Date().toISOString() },
      }),
    );
  }
}

function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, [FLUSH_ATTRIBUTE]: _flush, ...rest } = item;
  return rest;
}

function isGuardFailure(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return reasons === undefined || reasons[0]?.Code === "ConditionalCheckFailed";
}
