/** Small formatters shared by the commands' human output. */

/** `1234567` → `1,234,567`. */
export function count(n: number | bigint): string {
  return n.toLocaleString("en-US");
}

/**
 * A duration for people: `850 ms`, `12 s`, `4 m 05 s`, `3 h 12 m`, `2 d 4 h`.
 *
 * @example
 * ```ts
 * duration(245_000); // "4 m 05 s"
 * ```
 */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  const abs = Math.max(0, Math.round(ms));
  if (abs < 1_000) return `${abs} ms`;
  const s = Math.floor(abs / 1_000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, "0")} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, "0")} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** An age since `at` (ISO or ms) for people, or `—`. */
export function age(at: string | number | undefined, now = Date.now()): string {
  if (at === undefined) return "—";
  const t = typeof at === "number" ? at : Date.parse(at);
  return Number.isNaN(t) ? "—" : duration(now - t);
}

/** Events per second with one decimal below 100. */
export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "—";
  return perSecond < 100 ? `${perSecond.toFixed(1)}/s` : `${Math.round(perSecond)}/s`;
}

/** A timestamp in UTC, to the millisecond, without the date when it is today. */
export function time(at: string | number, now = new Date()): string {
  const d = new Date(at);
  const iso = d.toISOString();
  return iso.slice(0, 10) === now.toISOString().slice(0, 10)
    ? `${iso.slice(11, 23)}Z`
    : `${iso.slice(0, 10)} ${iso.slice(11, 23)}Z`;
}
