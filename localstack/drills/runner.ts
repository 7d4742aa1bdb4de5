import { loadavg } from "node:os";
import type { InvariantResult } from "../demo/invariants.ts";
import type { PlacerReport } from "../demo/placer.ts";
import { bold, dim, green, red } from "../demo/progress.ts";
import type { OrderRunResult, RunningOrders } from "../demo/run.ts";
import { runOrders } from "../demo/run.ts";
import type { HistoryReport } from "../history/check.ts";
import { historyLine } from "../history/verify.ts";
import { LocalSession } from "../host/session.ts";
import type { BrokerCount } from "../stack/index.ts";
import { kafkaProxies, stackDown, stackUp } from "../stack/index.ts";
import { readState } from "../stack/state.ts";
import type { DrillInfo, DrillName } from "./catalog.ts";
import { drillInfo } from "./catalog.ts";
import type { FaultWindow } from "./faults.ts";
import { faultActions, needsProxy } from "./faults.ts";

/** How to run a drill. */
export interface DrillOptions {
  readonly brokers: BrokerCount;
  /** Orders placed over the drill (the load). @default 120 */
  readonly orders?: number;
  /** Orders per second. @default 3 */
  readonly rate?: number;
  /** When the fault starts, after the first order. @default 5000 */
  readonly leadMs?: number;
  readonly say: (line: string) => void;
  /** Draw the live progress block. */
  readonly live?: boolean;
  /** Keep the drill's session (topics, tables) afterwards. @default false */
  readonly keep?: boolean;
}

/** How long after the fault was healed the system was whole again. */
export interface Recovery {
  /** Until the log acknowledged the shop front again (`undefined`: it placed nothing after). */
  readonly publishMs: number | undefined;
  /** Until every consumer had worked off what the log held at the heal. */
  readonly backlogMs: number | undefined;
}

/** What a drill did and found. */
export interface DrillResult {
  readonly name: DrillName;
  readonly description: string;
  readonly brokers: BrokerCount;
  readonly orders: number;
  readonly rate: number;
  readonly window: FaultWindow | undefined;
  readonly recovery: Recovery;
  readonly history: HistoryReport | undefined;
  readonly invariants: readonly InvariantResult[];
  readonly designCheck: InvariantResult;
  readonly placer: PlacerReport;
  /** The driver process's event-loop delay during the run (see `OrderRunResult`). */
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
  readonly durationMs: number;
  /** The machine's load average (1, 5, 15 min) when the drill ended. */
  readonly loadAverage: readonly number[];
  /** What broke; empty when the drill passed. */
  readonly failures: readonly string[];
  readonly ok: boolean;
}

/** A drill that cannot run as asked (unknown name, wrong broker count). */
export class DrillUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DrillUsageError";
  }
}

/** The drill of `name`, checked against the broker count. */
export function plannedDrill(name: string, brokers: BrokerCount): DrillInfo {
  const info = drillInfo(name);
  if (info === undefined) throw new DrillUsageError(`there is no drill named '${name}'`);
  if (!info.brokers.includes(brokers)) {
    throw new DrillUsageError(
      `${name} needs ${info.brokers.join(" or ")} broker(s); run it with --brokers ${info.brokers[0]}`,
    );
  }
  return info;
}

/** Brings the stack up with `brokers` brokers, restarting it if it runs with another count. */
export async function ensureStack(
  brokers: BrokerCount,
  say: (line: string) => void,
): Promise<void> {
  const state = readState();
  if (state?.kafkaManaged && state.brokerCount !== brokers) {
    say(`stack: running with ${state.brokerCount} broker(s); restarting it with ${brokers}`);
    await stackDown({ log: (line) => say(dim(`  ${line}`)) });
  }
  await stackUp({ brokers, log: (line) => say(dim(`  ${line}`)) });
}

/**
 * Waits until every consumer group of the session has committed up to what the log held at
 * `since`, and returns how long after `since` that was.
 */
async function backlogWorkedOff(
  session: LocalSession,
  since: number,
  timeoutMs: number,
): Promise<number | undefined> {
  const consumers = session.host?.consumers() ?? [];
  const ends = new Map<string, Map<number, bigint>>();
  for (const topic of new Set(consumers.map((c) => c.topic))) {
    const offsets = await session.admin.topicOffsets(topic).catch(() => []);
    ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
  }
  try {
    await session.waitFor(
      "the consumers to work off the backlog",
      async () => {
        for (const consumer of consumers) {
          const committed = await session.admin.groupOffsets(consumer.groupId, [consumer.topic]);
          for (const [partition, high] of ends.get(consumer.topic) ?? []) {
            const at = committed.find((c) => c.partition === partition)?.offset;
            if (high > 0n && (at === null || at === undefined || BigInt(at) < high)) return false;
          }
        }
        return true;
      },
      timeoutMs,
      500,
    );
    return Date.now() - since;
  } catch {
    return undefined;
  }
}

const seconds = (ms: number | undefined) =>
  ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs one drill on the local stack: the order workload at `rate`, the drill's fault `leadMs`
 * after the first order, then the run drains and is checked (history and invariants).
 *
 * @example
 * ```ts
 * const result = await runDrill("broker-crash", { brokers: 1, say: console.log });
 * if (!result.ok) process.exitCode = 1;
 * ```
 */
export async function runDrill(name: string, options: DrillOptions): Promise<DrillResult> {
  const info = plannedDrill(name, options.brokers);
  const { say } = options;
  const orders = options.orders ?? 120;
  const rate = options.rate ?? 3;
  const started = Date.now();
  say("");
  say(bold(`drill ${info.name} (${options.brokers} broker${options.brokers === 1 ? "" : "s"})`));
  say(dim(`  ${info.description}`));
  await ensureStack(options.brokers, say);
  const proxies = needsProxy(info.name)
    ? await kafkaProxies((line) => say(dim(`  ${line}`)))
    : undefined;

  let window: FaultWindow | undefined;
  let recovery: Recovery = { publishMs: undefined, backlogMs: undefined };
  const sessionName = `drill-${info.name}`;
  const during = async (run: RunningOrders) => {
    const at = run.placementStartedAt + (options.leadMs ?? 5_000);
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    window = await faultActions[info.name]({
      session: run.session,
      brokerCount: options.brokers,
      proxies,
      say: (line) => say(`  ${line}`),
    });
    const healedAt = window.healedAt;
    const backlogMs = await backlogWorkedOff(run.session, healedAt, 300_000);
    const accepted = run.placer.firstAcceptanceAfter(healedAt);
    recovery = { publishMs: accepted === undefined ? undefined : accepted - healedAt, backlogMs };
  };

  let run: OrderRunResult;
  try {
    run = await runOrders({
      customers: 20,
      orders,
      rate,
      failureShare: 0.25,
      seed: 42,
      timeoutSeconds: 300,
      sessionName,
      ...(proxies === undefined ? {} : { clientBrokers: proxies.brokers }),
      say: (line) => say(line === "" ? "" : `  ${line}`),
      live: options.live ?? false,
      during,
    });
  } finally {
    await proxies?.client.reset().catch(() => undefined);
  }

  const failures: string[] = [];
  for (const invariant of run.invariants) {
    if (!invariant.ok) {
      failures.push(`invariant broken: ${invariant.name}: ${invariant.detail}`);
      for (const example of invariant.examples) failures.push(`    ${example}`);
    }
  }
  const history = run.history?.report;
  if (history === undefined) failures.push("no run history was recorded");
  for (const violation of history?.violations.slice(0, 20) ?? []) {
    failures.push(`history: ${violation.rule}: ${violation.detail}`);
  }
  if ((history?.violations.length ?? 0) > 20) {
    failures.push(`history: … ${(history?.violations.length ?? 0) - 20} more violation(s)`);
  }
  if (window === undefined) failures.push("the fault was never injected");
  // Nothing given up is part of riding through: the integration tests require it, and so does
  // the command line (events the shop front dropped were never acknowledged, so the history
  // check alone does not see them).
  const givenUp = run.placer.givenUp.length;
  if (givenUp > 0) {
    failures.push(
      `the shop front gave up on ${givenUp} event(s) after retrying them for its 3 minutes: the log did not take them again in time`,
    );
  }

  await run.session.stop({ deleteTopics: !options.keep });
  if (!options.keep) await LocalSession.wipe(sessionName).catch(() => undefined);

  const result: DrillResult = {
    name: info.name,
    description: info.description,
    brokers: options.brokers,
    orders,
    rate,
    window,
    recovery,
    history,
    invariants: run.invariants,
    designCheck: run.designCheck,
    placer: run.placer,
    eventLoopDelayMs: run.eventLoopDelayMs,
    durationMs: Date.now() - started,
    loadAverage: loadavg().map((l) => Number(l.toFixed(1))),
    failures,
    ok: failures.length === 0,
  };
  printDrill(result, say);
  return result;
}

/** The drill's closing lines: what was broken, the recovery, the verdict. */
export function printDrill(result: DrillResult, say: (line: string) => void): void {
  const h = result.history;
  const w = result.window;
  if (w !== undefined) say(`  fault: ${w.detail}`);
  say(
    `  load: ${result.orders} orders at ${result.rate}/s; the shop front's publishes refused ${result.placer.refused} time(s), retried ${result.placer.retried}, ${result.placer.givenUp.length} given up`,
  );
  say(
    `  recovery after the heal: log acknowledging again ${seconds(result.recovery.publishMs)}, consumers caught up ${seconds(result.recovery.backlogMs)}`,
  );
  say(
    dim(
      `  driver's event loop delay: p99 ${result.eventLoopDelayMs.p99} ms, max ${result.eventLoopDelayMs.max} ms; load average ${result.loadAverage.join(" ")}`,
    ),
  );
  if (h !== undefined) {
    say(
      dim(
        `  history: ${h.effects} effects checked; repeats absorbed ${h.repeatsAbsorbed}, failed handlings retried ${h.failedHandlings}, dead-lettered ${h.deadLettered}, log duplicates ${h.logDuplicates}, refused but in the log ${h.refusedButLogged}, first handling unrecorded (killed environment) ${h.firstHandlingUnrecorded}`,
      ),
    );
  }
  say(
    dim(
      `  ${result.designCheck.ok ? "every order ended as designed" : `orders ended otherwise than designed (the fault may cause it): ${result.designCheck.detail}`}`,
    ),
  );
  const verdict =
    h === undefined
      ? "no history"
      : `${historyLine(h)}, invariants ${result.invariants.every((i) => i.ok) ? "ok" : "BROKEN"}`;
  if (result.ok) {
    say(green(`  ✓ ${result.name}: ${verdict} (${seconds(result.durationMs)})`));
  } else {
    say(red(`  ✗ ${result.name} FAILED: ${verdict}`));
    for (const failure of result.failures) say(red(`    ${failure}`));
  }
}
