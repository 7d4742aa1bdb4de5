import { badParameter } from "../kit/http/errors.ts";

/** What a `503` tells the client to wait before retrying, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The `Idempotency-Key` header (IETF draft "The Idempotency-Key HTTP Header Field"): optional;
 * when present, 1-255 visible ASCII characters (a UUID is typical).
 */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const key = raw.trim();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw badParameter("Idempotency-Key", "1-255 visible ASCII characters, e.g. a UUID", raw);
  }
  return key;
}
