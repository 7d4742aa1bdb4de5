/**
 * The few helpers every bench suite shares: a monotonic clock, summary statistics, a
 * micro-benchmark loop, ratios and a plain-text table. No benchmarking library: each suite times
 * its own loop with `process.hrtime.bigint()` and reports raw figures next to the ratios.
 */

/** Monotonic time in milliseconds (fractional). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Wall-clock time in milliseconds with sub-millisecond precision, comparable across threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).p50;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/**
 * The order of repetition `rep`: forwards on even repetitions, backwards on odd ones (A B C, C B
 * A, ...). Each variant's mean position is the same, so a steady drift of the shared machine
 * cancels out over pairs of repetitions, and neighbours in the list always run back to back.
 */
export function serpentine<T>(items: readonly T[], rep: number): T[] {
  return rep % 2 === 0 ? [...items] : [...items].reverse();
}

/** Keeps results alive so the optimiser cannot drop the work being timed. */
export const sink: { value: unknown } = { value: undefined };

export interface MicroOptions {
  /** Calls per repetition; raised when needed so a repetition lasts at least `minRepMs`. */
  readonly iterations: number;
  readonly reps: number;
  readonly warmup: number;
  /**
   * Shortest repetition, ms (default 250), so that timer and accounting granularity and a
   * single GC pause stay small against it.
   */
  readonly minRepMs?: number;
}

/** Iterations so that one repetition lasts at least `minRepMs`, from the warm-up's pace. */
function calibrated(options: MicroOptions, warmupMs: number): number {
  const perOpMs = warmupMs / Math.max(1, options.warmup);
  const needed = perOpMs > 0 ? Math.ceil((options.minRepMs ?? 250) / perOpMs) : 0;
  return Math.max(options.iterations, needed);
}

export interface MicroResult {
  readonly name: string;
  /** Median over repetitions of the wall-clock time per operation, µs. */
  readonly usPerOp: number;
  /** Median over repetitions of the process's CPU time per operation (user + system), µs. */
  readonly cpuUsPerOp: number;
  readonly minUsPerOp: number;
  readonly maxUsPerOp: number;
  readonly reps: number;
  readonly iterations: number;
}

/**
 * This process's CPU time (user + system, every thread: V8's GC helpers included), µs. Unlike
 * wall-clock time it does not count time spent preempted by the neighbours on the shared cores.
 * (Per-thread CPU time is only accounted in 4 ms scheduler ticks on this kernel; the process
 * figure is exact to the microsecond.)
 */
export function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function microResult(
  name: string,
  wall: readonly number[],
  cpu: readonly number[],
  options: MicroOptions,
): MicroResult {
  const s = summarize(wall);
  return {
    name,
    usPerOp: s.p50,
    cpuUsPerOp: median(cpu),
    minUsPerOp: s.min,
    maxUsPerOp: s.max,
    reps: options.reps,
    iterations: options.iterations,
  };
}

/**
 * Runs `fn` `warmup` times, then `reps` timed loops of `iterations` calls; each rep gives a mean
 * per call (wall clock and process CPU), and the median rep is the figure (robust to a
 * neighbour's burst on shared cores).
 */
export function micro(
  name: string,
  fn: (i: number) => unknown,
  options: MicroOptions,
): MicroResult {
  const warmupStart = nowMs();
  for (let i = 0; i < options.warmup; i++) sink.value = fn(i);
  const iterations = calibrated(options, nowMs() - warmupStart);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < options.reps; r++) {
    const cpuStart = cpuUs();
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink.value = fn(i);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e3;
    cpu.push((cpuUs() - cpuStart) / iterations);
    wall.push(elapsed / iterations);
  }
  return microResult(name, wall, cpu, { ...options, iterations });
}

/** The async twin of {@link micro}: `fn` is awaited, one call at a time. */
export async function microAsync(
  name: string,
  fn: (i: number) => Promise<unknown>,
  options: MicroOptions,
): Promise<MicroResult> {
  const warmupStart = nowMs();
  for (let i = 0; i < options.warmup; i++) sink.value = await fn(i);
  const iterations = calibrated(options, nowMs() - warmupStart);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < options.reps; r++) {
    const cpuStart = cpuUs();
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink.value = await fn(i);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e3;
    cpu.push((cpuUs() - cpuStart) / iterations);
    wall.push(elapsed / iterations);
  }
  return microResult(name, wall, cpu, { ...options, iterations });
}

/** Formats a number for a table: few significant digits, thousands separated. */
export function fmt(value: number | undefined, digits = 1): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(digits);
}

export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}

export function fmtRatio(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? "–" : `${value.toFixed(2)}×`;
}

/** A plain-text table with a title; the first `textColumns` left-aligned, numbers right-aligned. */
export function table(
  title: string,
  header: readonly string[],
  rows: readonly string[][],
  textColumns = 1,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < textColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [
    `\n${title}`,
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
  ].join("\n");
}

/** What every suite hands back: tables for the terminal and a JSON-able record. */
export interface SuiteReport {
  readonly suite: string;
  readonly tables: readonly string[];
  readonly data: unknown;
  readonly notes?: readonly string[];
}

/** Progress on stderr, so stdout carries only the tables. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
