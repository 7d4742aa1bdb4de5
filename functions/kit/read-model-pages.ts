import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BatchGetCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { ReadModelStore } from "./read-models.ts";

/** One page of items and where the next one starts (`undefined` at the end). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: Record<string, unknown> | undefined;
}

/**
 * Paged reads of one version of the read models, for the query API: an entity's sub-items by
 * sort-key prefix, every entity of a projection, or a set of entities. Consistent reads, keys
 * stripped as {@link ReadModelStore} does.
 *
 * @example
 * ```ts
 * const pages = new ReadModelPages(doc, table);
 * const first = await pages.subItems("customer-orders", 1, "c-1", "order#", 20);
 * const second = await pages.subItems("customer-orders", 1, "c-1", "order#", 20, first.next);
 * ```
 */
export class ReadModelPages {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.#doc = doc;
    this.#table = table;
  }

  /** Sub-items of one entity whose sort key starts with `prefix`, in sort-key order. */
  async subItems(
    projection: string,
    version: number,
    entity: string,
    prefix: string,
    limit: number,
    start?: Record<string, unknown>,
  ): Promise<Page<Record<string, unknown>>> {
    const page = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: {
          ":pk": ReadModelStore.viewKey(projection, version, entity),
          ":prefix": prefix,
        },
        ConsistentRead: true,
        Limit: limit,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    return { items: (page.Items ?? []).map(withoutKeys), next: page.LastEvaluatedKey };
  }

  /**
   * The `view` items of every entity of a version, `limit` at most per page. A scan with a
   * filter: fine for small projections (products), not for one entity per order.
   */
  async entities(
    projection: string,
    version: number,
    limit: number,
    start?: Record<string, unknown>,
  ): Promise<Page<Record<string, unknown>>> {
    const prefix = `${projection}#v${version}#`;
    const items: Record<string, unknown>[] = [];
    let next = start;
    // Scan's Limit counts items before the filter: read on until the page is full or the end.
    do {
      const page = await this.#doc.send(
        new ScanCommand({
          TableName: this.#table,
          FilterExpression:
            "begins_with(pk, :p) AND sk = :view AND NOT contains(pk, :guard) AND NOT contains(pk, :seen)",
          ExpressionAttributeValues: {
            ":p": prefix,
            ":view": "view",
            ":guard": "#guard#",
            ":seen": "#seen#",
          },
          ConsistentRead: true,
          Limit: Math.max(limit, 100),
          ...(next === undefined ? {} : { ExclusiveStartKey: next }),
        }),
      );
      const found = page.Items ?? [];
      const room = limit - items.length;
      for (const item of found.slice(0, room)) items.push(withoutKeys(item));
      next = page.LastEvaluatedKey;
      if (items.length === limit) {
        const last = found[room - 1];
        // Continue after the last item handed out, not after the last one read.
        if (last !== undefined && (found.length > room || next !== undefined)) {
          next = { pk: last.pk, sk: last.sk };
        }
        break;
      }
    } while (next !== undefined);
    return { items, next };
  }

  /** The `view` items of the given entities (missing ones left out), in the order asked. */
  async views(
    projection: string,
    version: number,
    entities: readonly string[],
  ): Promise<Record<string, unknown>[]> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < entities.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = entities
        .slice(i, i + 100)
        .map((e) => ({ pk: ReadModelStore.viewKey(projection, version, e), sk: "view" }));
      while (keys !== undefined && keys.length > 0) {
        const result: {
          Responses?: Record<string, Record<string, unknown>[]>;
          UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }>;
        } = await this.#doc.send(
          new BatchGetCommand({
            RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.#table] ?? []) {
          found.set(String(item.pk), withoutKeys(item));
        }
        keys = result.UnprocessedKeys?.[this.#table]?.Keys;
      }
    }
    return entities.flatMap((e) => {
      const item = found.get(ReadModelStore.viewKey(projection, version, e));
      return item === undefined ? [] : [item];
    });
  }
}

function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}
