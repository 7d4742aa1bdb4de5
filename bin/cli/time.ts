import { UsageError } from "./errors.ts";

/**
 * Times as operators type them: an ISO-8601 timestamp (`2026-11-23T10:00:00Z`, `2026-11-23 10:00`,
 * `2026-11-23`; without an offset it is UTC), `now`, or a duration back from now (`90s`, `15m`,
 * `2h`, `1d`, `1h30m`, optionally with `ago` or a leading `-`).
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/;

/**
 * A duration such as `90s`, `15m`, `1h30m`, `2d`, in milliseconds; `undefined` if it is not one.
 *
 * @example
 * ```ts
 * parseDuration("1h30m"); // 5_400_000
 * ```
 */
export function parseDuration(text: string): number | undefined {
  let rest = text.trim().toLowerCase();
  if (rest === "") return undefined;
  let total = 0;
  while (rest !== "") {
    const match = DURATION.exec(rest);
    if (match === null) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
    rest = rest.slice(match[0].length);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** A duration flag's value, or a usage error naming the flag. */
export function durationOption(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`${flag} '${text}' is not a duration`, {
      hint: `write it like 30s, 5m, 2h or 1d (e.g. ${flag} 2s)`,
    });
  }
  return ms;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A point in time, or a usage error naming the flag and saying what to write.
 *
 * @example
 * ```ts
 * parseTime("--from", "2h", new Date("2026-11-23T12:00:00Z")); // 2026-11-23T10:00:00.000Z
 * parseTime("--at", "2026-11-23 10:15", now); // 2026-11-23T10:15:00.000Z (UTC)
 * ```
 */
export function parseTime(flag: string, text: string, now: Date = new Date()): Date {
  const input = text.trim();
  if (input.toLowerCase() === "now") return new Date(now);
  const relative = input
    .toLowerCase()
    .replace(/^-/, "")
    .replace(/\s*ago$/, "");
  const ms = parseDuration(relative);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  let iso: string | undefined;
  if (ISO_DATE.test(input)) iso = `${input}T00:00:00Z`;
  else if (ISO_LIKE.test(input)) {
    const withT = input.replace(" ", "T");
    iso = /(Z|[+-]\d{2}:?\d{2})$/i.test(withT) ? withT : `${withT}Z`;
  }
  const parsed = iso === undefined ? Number.NaN : Date.parse(iso);
  if (Number.isNaN(parsed)) {
    throw new UsageError(`${flag} '${text}' is not a time`, {
      hint: `write an ISO time (${flag} 2026-11-23T10:00:00Z), a time back from now (${flag} 2h, ${flag} 30m) or 'now'`,
    });
  }
  return new Date(parsed);
}

/** A time window `[from, to)`. */
export interface TimeWindow {
  readonly from: Date;
  readonly to: Date;
}

/**
 * Parses and checks `--from`/`--to` before anything starts: `--from` must come before `--to`, and
 * neither may be in the future (nothing happened there yet).
 *
 * @example
 * ```ts
 * parseWindow({ from: "2h", to: "1h" }, now); // { from: now-2h, to: now-1h }
 * parseWindow({ from: "1h", to: "2h" }, now); // UsageError: --from ... is after --to ...
 * ```
 */
export function parseWindow(
  options: { from: string; to?: string | undefined },
  now: Date = new Date(),
): TimeWindow {
  const from = parseTime("--from", options.from, now);
  const to = options.to === undefined ? new Date(now) : parseTime("--to", options.to, now);
  const slackMs = 60_000;
  if (from.getTime() >= to.getTime()) {
    throw new UsageError(
      `--from ${from.toISOString()} is not before --to ${to.toISOString()}: the window is empty`,
      {
        hint: `swap them: --from ${options.to ?? "<earlier time>"} --to ${options.from}`,
      },
    );
  }
  if (from.getTime() > now.getTime() + slackMs) {
    throw new UsageError(`--from ${from.toISOString()} is in the future`, {
      hint: "give a past time, e.g. --from 2h (two hours ago)",
    });
  }
  if (to.getTime() > now.getTime() + slackMs) {
    throw new UsageError(`--to ${to.toISOString()} is in the future`, {
      hint: "leave --to out to mean 'now'",
    });
  }
  return { from, to };
}
