import { badParameter } from "./errors.ts";

/**
 * Opaque cursors: the position to continue from (a DynamoDB key, an index), as base64url JSON.
 * Clients pass back what they got in `next`; they never build one.
 */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
}

/** The position in a cursor; a cursor that is not one of ours is a `400`. */
export function decodeCursor<T>(cursor: string | undefined): T | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as T;
  } catch {
    throw badParameter("cursor", "a cursor from a previous answer's 'next'", cursor);
  }
}

/** `limit` from the query string: an integer from 1 to `max`, `fallback` when absent. */
export function pageLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw badParameter("limit", `an integer from 1 to ${max}`, raw);
  }
  return value;
}
