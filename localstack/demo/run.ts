import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { EventEnvelope } from "../../events/envelope.ts";
import { METER_ENV } from "../../functions/kit/call-meter.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import type { HistoryVerification } from "../history/verify.ts";
import { verifyHistory } from "../history/verify.ts";
import { LocalSession } from "../host/session.ts";
import { duplexHome } from "../stack/paths.ts";
import { startCostMeter } from "./cost-meter.ts";
import { awaitOrders, demoSagaEnv, waitForSeeding } from "./drive.ts";
import { type HttpPlacement, placeViaHttp } from "./http-placer.ts";
import type { InvariantResult } from "./invariants.ts";
import {
  everyOrderTerminal,
  moneyConserved,
  projections,
  readModelsMatchTheLog,
  stockConserved,
} from "./invariants.ts";
import type { Snapshot } from "./monitor.ts";
import { RunMonitor } from "./monitor.ts";
import type { RunOutcomes } from "./outcomes.ts";
import { readOutcomes } from "./outcomes.ts";
import type { PlacerReport } from "./placer.ts";
import { OrderPlacer } from "./placer.ts";
import { dim, ProgressView } from "./progress.ts";
import type { OrderOutcome, PlannedOrder } from "./workload.ts";
import { buildWorkload, expectedStatus } from "./workload.ts";

/** What to run: the workload, and how the session is set up. */
export interface OrderRunOptions {
  readonly customers: number;
  readonly orders: number;
  /** Orders placed per second, 0 for one burst. */
  readonly rate: number;
  readonly failureShare: number;
  readonly seed: number;
  /** Give up waiting for orders to end this long after the first was placed. */
  readonly timeoutSeconds: number;
  /** The session's name (its topics, tables and queues are named after it; wiped first). */
  readonly sessionName: string;
  /** Record the run history and check it at the end. @default true */
  readonly recordHistory?: boolean;
  /** Brokers the session's clients bootstrap from (a TCP proxy), instead of the stack's. */
  readonly clientBrokers?: readonly string[];
  /** Where orders go: the publisher (default) or the HTTP command API. @default "publish" */
  readonly via?: "publish" | "http";
  /** The HTTP API's port (0: any free one). @default 0 */
  readonly apiPort?: number;
  /**
   * Count what the orders cost in requests (every function meters its AWS calls and logs at INFO,
   * as prod does) and write it to this JSON file, the input of the cost model (`npm run cost`).
   */
  readonly measureCosts?: string;
  /** Plain lines (set-up, faults, checks). */
  readonly say: (line: string) => void;
  /** Draw the live progress block. */
  readonly live: boolean;
  /**
   * Runs alongside the placement, from the moment the first order is placed (a drill's fault or
   * the chaos schedule); the run drains only once it has returned.
   */
  readonly during?: (run: RunningOrders) => Promise<void>;
}

/** What a fault schedule sees of a run in progress. */
export interface RunningOrders {
  readonly session: LocalSession;
  /** When the first order was placed (epoch ms). */
  readonly placementStartedAt: number;
  readonly placer: OrderPlacer;
  readonly say: (line: string) => void;
}

/** Everything a run measured and checked. */
export interface OrderRunResult {
  readonly session: LocalSession;
  readonly historyDir: string | undefined;
  readonly orders: number;
  readonly uniqueOrders: number;
  readonly ordersPerSecond: number;
  readonly secondsToPublish: number;
  readonly secondsToDrain: number;
  readonly totalSeconds: number;
  readonly snapshot: Snapshot;
  /** Every order ended before the timeout. */
  readonly drained: boolean;
  /**
   * Orders still running at the timeout (0 when drained). Then the writers (command handlers,
   * sagas, sweepers) were stopped and only the projectors let catch up before the checks, which
   * therefore describe a system standing still, not work in flight.
   */
  readonly notEndedAtTimeout: number;
  /** The business invariants (terminal states, stock, money, read models = rebuild). */
  readonly invariants: readonly InvariantResult[];
  /** Whether each order ended as the workload designed it (a fault may legitimately change it). */
  readonly designCheck: InvariantResult;
  /** How every order and saga ended, read once after the consumers settled. */
  readonly outcomes: RunOutcomes;
  /** Orders (first commands) whose final status is the one the workload designed. */
  readonly endedAsDesigned: { readonly matched: number; readonly of: number };
  /** The first command of each order placed (duplicates of an earlier order id left out). */
  readonly firsts: readonly PlannedOrder[];
  /** PlaceOrderRequested commands placed that repeat an earlier order id. */
  readonly duplicateCommands: number;
  readonly placer: PlacerReport;
  /** What placing through the HTTP API took (`via: "http"`; zeros otherwise). */
  readonly http: HttpPlacement;
  readonly history: HistoryVerification | undefined;
  /**
   * How late this process's event loop ran (p99 and max, ms) from the first order to the checks:
   * the driver, the host's pollers and the shop front share it, so on a starved machine a
   * "no acknowledgement within …" may be this process's delay, not the log's.
   */
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
}

/** The run history folder of a session. */
export function historyDirOf(sessionName: string): string {
  return join(duplexHome, "history", sessionName);
}

/**
 * The order-fulfilment run shared by `npm start`, `npm start -- --chaos` and the drills: start a
 * session in its own namespace, seed customers and products, place orders through the shop front
 * (which rides through log refusals), drain, check the business invariants and the run history.
 * The session keeps running afterwards (`--serve`); the caller stops it.
 *
 * @example
 * ```ts
 * const run = await runOrders({ ...defaults, sessionName: "demo", say: console.log, live: true });
 * await run.session.stop({ keepDescription: true });
 * ```
 */
export async function runOrders(options: OrderRunOptions): Promise<OrderRunResult> {
  const { say } = options;
  const historyDir =
    options.recordHistory === false ? undefined : historyDirOf(options.sessionName);
  if (historyDir !== undefined) {
    rmSync(historyDir, { recursive: true, force: true });
    mkdirSync(historyDir, { recursive: true });
  }
  await LocalSession.wipe(options.sessionName);
  // Measuring costs: the functions' logs of this run go to a folder of their own.
  const measureLogDir =
    options.measureCosts === undefined
      ? undefined
      : join(duplexHome, "measure", new Date().toISOString().replaceAll(":", "-"));
  const provisionStarted = Date.now();
  const session = await LocalSession.start({
    name: options.sessionName,
    settings: {
      fastLaneDeadlineSeconds: 10,
      outboxGraceSeconds: 5,
      logLevel: measureLogDir === undefined ? "WARN" : "INFO",
      ...(historyDir === undefined ? {} : { historyDir }),
    },
    ...(options.clientBrokers === undefined ? {} : { clientBrokers: options.clientBrokers }),
    apiPort: options.apiPort ?? 0,
    ...(measureLogDir === undefined ? {} : { logDir: measureLogDir }),
    functionEnv: Object.fromEntries(
      functionDeclarations.map((d) => [
        d.name,
        {
          ...(d.name === "order-saga" || d.name === "saga-sweeper" ? demoSagaEnv : {}),
          ...(measureLogDir === undefined ? {} : { [METER_ENV]: "1" }),
        },
      ]),
    ),
  });
  say(
    `provisioned ${Object.keys(session.resources.commandQueues).length} fast-lane queues, 5 tables, 11 topics and started ${session.host?.functions.size ?? 0} functions in ${((Date.now() - provisionStarted) / 1000).toFixed(1)} s (namespace '${session.topicPrefix}')`,
  );

  const apiUrl = session.host?.api?.url;
  if (apiUrl !== undefined) {
    say(`HTTP API: ${apiUrl} (POST /commands/{type}, GET /orders/{id}, ...)`);
  }
  const http: HttpPlacement = { accepted: 0, refused: 0, retries: 0 };
  const placeOrders = async (events: readonly EventEnvelope[]) => {
    if (options.via !== "http") return session.publish(events);
    if (apiUrl === undefined) throw new Error("the functions host serves no HTTP API");
    return placeViaHttp(apiUrl, events, http);
  };

  const workload = buildWorkload({ ...options, runId: options.seed.toString(36) });
  const readModels = session.readModels();
  // One line when the log starts refusing, one when it takes orders again: an outage in two lines.
  let refusingSince: number | undefined;
  let refusals = 0;
  const placerOptions = {
    onRefusal: (_ids: readonly string[], error: Error) => {
      refusals++;
      if (refusingSince !== undefined) return;
      refusingSince = Date.now();
      say(
        dim(
          `  the log refuses publishes; the shop front keeps them and retries (${error.message})`,
        ),
      );
    },
    onAcceptance: () => {
      if (refusingSince === undefined) return;
      say(
        dim(
          `  the log takes publishes again after ${((Date.now() - refusingSince) / 1000).toFixed(1)} s (${refusals} refused call(s) so far)`,
        ),
      );
      refusingSince = undefined;
    },
  };
  const placer = new OrderPlacer(placeOrders, placerOptions);
  // Customers and products are the shop's own set-up: through the publisher, whatever --via says.
  const seeder =
    options.via === "http"
      ? new OrderPlacer((events) => session.publish(events), placerOptions)
      : placer;
  await seeder.placeAndWait([...workload.customers, ...workload.restocks]);
  await waitForSeeding(session, workload, Math.max(options.timeoutSeconds * 1000, 120_000));
  say(`seeded ${workload.customers.length} customers and ${workload.restocks.length} products`);

  const meter =
    measureLogDir === undefined ? undefined : await startCostMeter(session, measureLogDir);
  const monitor = new RunMonitor(session);
  monitor.start();
  const view = new ProgressView(workload.orders.length);
  const firsts = workload.orders.filter((o) => o.designed !== "rejected-duplicate-order");
  const duplicates = workload.orders.filter((o) => o.designed === "rejected-duplicate-order");

  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const started = Date.now();
  let phase = "placing orders";
  const ticker = setInterval(() => {
    monitor
      .poll()
      .then(() => {
        if (options.live) view.render(monitor.snapshot(), phase);
      })
      .catch(() => undefined);
  }, 1_000);

  const during = Promise.resolve().then(() =>
    options.during?.({ session, placementStartedAt: started, placer, say }),
  );
  // Awaited after the placement; until then a failure must not count as unhandled.
  during.catch(() => undefined);
  // Orders arrive at --rate per second (a storefront's traffic), or in one burst with --rate 0;
  // a refused order waits in the shop front for its retry while new ones keep arriving.
  const perTick = options.rate === 0 ? 25 : Math.max(1, Math.round(options.rate));
  const tickMs = options.rate === 0 ? 0 : (1000 * perTick) / options.rate;
  for (let i = 0; i < firsts.length; i += perTick) {
    const due = started + (i / perTick) * tickMs;
    if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
    placer.place(firsts.slice(i, i + perTick).map((o) => o.command));
  }
  await placer.settled();
  // A duplicate must come after the order it copies has been placed, or it would be the original.
  const givenUp = new Set(placer.report().givenUp);
  const placeable = duplicates.filter(
    (d) => !firsts.some((f) => f.orderId === d.orderId && givenUp.has(f.command.eventId)),
  );
  await session.waitFor(
    "the duplicated orders to be placed",
    async () => {
      for (const d of placeable) {
        if ((await readModels.get("order-summary", d.orderId)) === undefined) return false;
      }
      return true;
    },
    Math.max(options.timeoutSeconds * 1000, 120_000),
    250,
  );
  if (placeable.length > 0) await placer.placeAndWait(placeable.map((o) => o.command));
  const publishedAt = Date.now();
  phase = "waiting for the faults to end";
  await during;
  phase = "draining";

  const accepted = workload.orders.filter((o) => !givenUp.has(o.command.eventId));
  const uniqueOrderIds = [...new Set(accepted.map((o) => o.orderId))];
  // A placement slower than the timeout still leaves the orders some time to end (up to a minute).
  const deadline = Math.max(
    started + options.timeoutSeconds * 1000,
    Date.now() + Math.min(60_000, options.timeoutSeconds * 1000),
  );
  // Statuses come from the log (the monitor reads it anyway): polling a read model for every
  // pending order would load DynamoDB Local as much as the run itself.
  const statuses = await awaitOrders(monitor, uniqueOrderIds, deadline);
  const pending = new Set(uniqueOrderIds.filter((id) => !statuses.has(id)));
  const drainedAt = Date.now();
  const stoppedEarly = pending.size > 0;
  if (stoppedEarly) {
    // Checked while they still write, the log, the read models and the history would describe
    // work in flight (an event appended after the checker read the log looks "lost").
    say(
      `timed out: ${pending.size} of ${uniqueOrderIds.length} orders had not ended ${Math.round((drainedAt - started) / 1000)} s after the first was placed (--timeout ${options.timeoutSeconds}); stopping the command handlers, sagas and sweepers, letting the projectors catch up, then checking what stands`,
    );
    await session.host?.stopAllBut(projections.map((p) => `${p.name}-projector`));
  }
  // Let every consumer (projectors, saga, ledger) catch up before the checks read what they wrote.
  await session.settle(120_000).catch(() => undefined);
  await session
    .waitFor(
      "projectors to catch up",
      async () => {
        await monitor.poll();
        return monitor.snapshot().projectorLag === 0;
      },
      30_000,
      250,
    )
    .catch(() => undefined);
  clearInterval(ticker);
  await monitor.poll().catch(() => undefined);
  const snapshot = monitor.snapshot();
  if (options.live) {
    view.render(snapshot, pending.size === 0 ? "drained" : "timed out");
    view.release();
  }
  await monitor.stop();
  loopDelay.disable();

  // Every count below comes from this one reading of the system of record, after it settled.
  const outcomes = await readOutcomes(session, uniqueOrderIds);
  const statusOf = (orderId: string) => outcomes.orders.get(orderId)?.status;

  say("");
  say("checking invariants");
  const invariants: InvariantResult[] = [];
  invariants.push(everyOrderTerminal(outcomes));
  invariants.push(await stockConserved(session, workload.initialStock, { stoppedEarly }));
  invariants.push(await moneyConserved(session, { stoppedEarly }));
  invariants.push(await readModelsMatchTheLog(session, (line) => say(dim(line))));

  const byDesign = new Map<OrderOutcome, { expected: number; matched: number }>();
  const placedFirsts = firsts.filter((o) => !givenUp.has(o.command.eventId));
  for (const order of placedFirsts) {
    const entry = byDesign.get(order.designed) ?? { expected: 0, matched: 0 };
    entry.expected++;
    if (statusOf(order.orderId) === expectedStatus(order.designed)) entry.matched++;
    byDesign.set(order.designed, entry);
  }
  const designMismatches = [...byDesign].filter(([, v]) => v.matched !== v.expected);
  const designCheck: InvariantResult = {
    name: "each order ended the way it was designed to",
    ok: designMismatches.length === 0,
    detail: [...byDesign].map(([k, v]) => `${k} ${v.matched}/${v.expected}`).join(", "),
    examples: designMismatches.map(([k, v]) => `${k}: ${v.matched}/${v.expected}`),
  };

  if (meter !== undefined && options.measureCosts !== undefined) {
    const measured = await meter.finish(uniqueOrderIds.length, {
      COMPLETED: outcomes.orderCounts.COMPLETED,
      CANCELLED: outcomes.orderCounts.CANCELLED,
      REJECTED: outcomes.orderCounts.REJECTED,
    });
    const how = `npm start -- --orders ${options.orders} --rate ${options.rate} --failure-share ${options.failureShare} --seed ${options.seed} --measure-costs FILE (functions at INFO; local stack)`;
    writeFileSync(
      options.measureCosts,
      `${JSON.stringify({ measuredAt: new Date().toISOString(), how, commandsPublishedByProducers: workload.orders.length, ...measured }, null, 2)}\n`,
    );
    say(`costs: what ${uniqueOrderIds.length} orders took is in ${options.measureCosts}`);
  }

  const history =
    historyDir === undefined
      ? undefined
      : await verifyHistory(session, historyDir, { stoppedEarly });

  const seconds = (ms: number) => Number((ms / 1000).toFixed(1));
  return {
    session,
    historyDir,
    orders: accepted.length,
    uniqueOrders: uniqueOrderIds.length,
    ordersPerSecond: Number((uniqueOrderIds.length / ((drainedAt - started) / 1000)).toFixed(1)),
    secondsToPublish: seconds(publishedAt - started),
    secondsToDrain: seconds(drainedAt - publishedAt),
    totalSeconds: seconds(drainedAt - started),
    snapshot,
    drained: pending.size === 0,
    notEndedAtTimeout: pending.size,
    invariants,
    designCheck,
    outcomes,
    endedAsDesigned: {
      matched: [...byDesign.values()].reduce((n, v) => n + v.matched, 0),
      of: placedFirsts.length,
    },
    firsts: placedFirsts,
    duplicateCommands: accepted.length - placedFirsts.length,
    placer: placer.report(),
    http,
    history,
    eventLoopDelayMs: {
      p99: Math.round(loopDelay.percentile(99) / 1e6),
      max: Math.round(loopDelay.max / 1e6),
    },
  };
}
