import { badParameter } from "../kit/http/errors.ts";

/** An ISO-8601 instant from the query string, `fallback` when absent. */
export function parseInstant(name: string, raw: string | undefined, fallback: Date): Date {
  if (raw === undefined || raw === "") return fallback;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms))
    throw badParameter(name, "an ISO-8601 time, e.g. 2026-11-23T10:15:00Z", raw);
  return new Date(ms);
}

/** Like {@link parseInstant}, rounded down to the minute (the sales windows). */
export function parseMinute(name: string, raw: string | undefined, fallback: Date): Date {
  const at = parseInstant(
    name,
    raw === undefined || raw === "" ? undefined : raw.length === 16 ? `${raw}:00Z` : raw,
    fallback,
  );
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000);
}
