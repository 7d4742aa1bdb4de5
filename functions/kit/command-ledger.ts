import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { EventEnvelope } from "../../events/envelope.ts";
import { clock } from "./clock.ts";
import { isConditionFailure } from "./versioned-store.ts";

/**
 * The fast-lane ledger: one item per critical command, keyed by event id. The ledger function
 * (reading the command topics) records each command as `pending` with a due time; the command
 * handler marks it `handled` when it succeeds. Whichever comes first creates the item. The
 * reconciler redelivers `pending` commands past their due time.
 */
export type LedgerStatus = "pending" | "handled" | "abandoned";

export interface LedgerEntry {
  readonly eventId: string;
  readonly status: LedgerStatus;
  readonly commandType: string;
  readonly command?: EventEnvelope;
  readonly dueAt?: string;
  readonly redeliveries: number;
  /** When a handler first completed the command (ISO); a repeat does not move it. */
  readonly handledAt?: string;
}

const SHARDS = ["0", "1", "2", "3"];

/** One table's part of a BatchGetItem request. */
interface KeysAndAttributes {
  Keys: Record<string, unknown>[];
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
}
const KEEP_SECONDS = 8 * 86_400;

function shardOf(eventId: string): string {
  return SHARDS[Number.parseInt(eventId.slice(-1), 16) % SHARDS.length] ?? "0";
}

export class CommandLedger {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.#doc = doc;
    this.#table = table;
  }

  /** Records a command read from the log, unless it is already known. Returns whether it was new. */
  async recordPending(command: EventEnvelope, dueAt: Date): Promise<boolean> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: command.eventId,
            status: "pending",
            commandType: command.eventType,
            command: JSON.stringify(command),
            dueAt: dueAt.toISOString(),
            dueShard: shardOf(command.eventId),
            redeliveries: 0,
            loggedAt: clock.now().toISOString(),
            expiresAt: Math.floor(clock.nowMs() / 1000) + KEEP_SECONDS,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Which of these commands the ledger already has an entry for (pending, handled or abandoned),
   * with strongly consistent reads, 100 per request: recording any of them as pending would
   * change nothing.
   *
   * @example
   * ```ts
   * const known = await ledger.known(commands.map((c) => c.eventId));
   * for (const c of commands) if (!known.has(c.eventId)) await ledger.recordPending(c, due);
   * ```
   */
  async known(eventIds: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    const unique = [...new Set(eventIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, KeysAndAttributes> | undefined = {
        [this.#table]: {
          Keys: unique.slice(i, i + 100).map((pk) => ({ pk })),
          ConsistentRead: true,
          ProjectionExpression: "pk",
        },
      };
      while (request !== undefined && Object.keys(request).length > 0) {
        const result = await this.#doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.#table] ?? []) known.add(String(item.pk));
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return known;
  }

  /**
   * Records that a handler completed the command (creates the entry if the log is behind). The
   * first completion's time stays: a saga's step clock starts there.
   */
  async markHandled(eventId: string, commandType: string, functionName: string): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: eventId },
        UpdateExpression:
          "SET #status = :handled, commandType = :type, handledBy = :fn, handledAt = if_not_exists(handledAt, :now), expiresAt = :exp REMOVE dueShard, dueAt, command",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":handled": "handled",
          ":type": commandType,
          ":fn": functionName,
          ":now": clock.now().toISOString(),
          ":exp": Math.floor(clock.nowMs() / 1000) + KEEP_SECONDS,
        },
      }),
    );
  }

  async get(eventId: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { pk: eventId }, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toEntry(Item);
  }

  /**
   * When each command was first handled, for those that were (strongly consistent reads, 100 ids
   * per request).
   *
   * @example
   * ```ts
   * const handled = await ledger.handledAt([stepCommandId]);
   * handled.get(stepCommandId); // Date, or undefined while the command waits
   * ```
   */
  async handledAt(eventIds: readonly string[]): Promise<Map<string, Date>> {
    const handled = new Map<string, Date>();
    const unique = [...new Set(eventIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<
        string,
        { Keys: Record<string, unknown>[]; ConsistentRead: boolean; ProjectionExpression: string }
      > = {
        [this.#table]: {
          Keys: unique.slice(i, i + 100).map((pk) => ({ pk })),
          ConsistentRead: true,
          ProjectionExpression: "pk, handledAt",
        },
      };
      while (Object.keys(request).length > 0) {
        const result = await this.#doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.#table] ?? []) {
          if (typeof item.handledAt === "string")
            handled.set(String(item.pk), new Date(item.handledAt));
        }
        request = (result.UnprocessedKeys ?? {}) as typeof request;
      }
    }
    return handled;
  }

  /** Pending commands due before `now`. */
  async due(now: Date, limit = 100): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = [];
    for (const shard of SHARDS) {
      if (entries.length >= limit) break;
      const result = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: "pending-by-due",
          KeyConditionExpression: "dueShard = :s AND dueAt <= :now",
          ExpressionAttributeValues: { ":s": shard, ":now": now.toISOString() },
          Limit: limit - entries.length,
        }),
      );
      for (const item of result.Items ?? []) entries.push(toEntry(item));
    }
    return entries.filter((e) => e.status === "pending");
  }

  /** Moves a pending command's due time after a redelivery; false if it got handled meanwhile. */
  markRedelivered(eventId: string, nextDue: Date): Promise<boolean> {
    return this.#moveDue(eventId, nextDue, true);
  }

  /**
   * Moves a pending command's due time without counting a redelivery (its queue had a backlog);
   * false if it got handled meanwhile.
   */
  postpone(eventId: string, nextDue: Date): Promise<boolean> {
    return this.#moveDue(eventId, nextDue, false);
  }

  async #moveDue(eventId: string, nextDue: Date, redelivered: boolean): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: eventId },
          UpdateExpression: redelivered
            ? "SET dueAt = :due, lastRedeliveryAt = :now ADD redeliveries :one"
            : "SET dueAt = :due",
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":due": nextDue.toISOString(),
            ":pending": "pending",
            ...(redelivered ? { ":now": clock.now().toISOString(), ":one": 1 } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Stops redelivering a command (it keeps failing; it is in its queue's DLQ). */
  async abandon(eventId: string): Promise<void> {
    await this.#doc
      .send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: eventId },
          UpdateExpression: "SET #status = :abandoned REMOVE dueShard",
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":abandoned": "abandoned", ":pending": "pending" },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }
}

function toEntry(item: Record<string, unknown>): LedgerEntry {
  return {
    eventId: String(item.pk),
    status: item.status as LedgerStatus,
    commandType: String(item.commandType ?? ""),
    ...(typeof item.command === "string"
      ? { command: JSON.parse(item.command) as EventEnvelope }
      : {}),
    ...(typeof item.dueAt === "string" ? { dueAt: item.dueAt } : {}),
    redeliveries: Number(item.redeliveries ?? 0),
    ...(typeof item.handledAt === "string" ? { handledAt: item.handledAt } : {}),
  };
}
