#!/usr/bin/env node
/**
 * `npm start` — the main job. Brings up the local stack, provisions Duplex from the catalog and
 * the trigger declarations, starts the local functions host, and drives an order-fulfilment
 * workload through both lanes, with live progress; then checks the invariants and exits non-zero
 * if one fails.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { EventEnvelope } from "../events/envelope.ts";
import { METER_ENV } from "../functions/kit/call-meter.ts";
import { functionDeclarations } from "../functions/registry.ts";
import { startCostMeter } from "./demo/cost-meter.ts";
import { type HttpPlacement, placeViaHttp } from "./demo/http-placer.ts";
import type { InvariantResult } from "./demo/invariants.ts";
import {
  everyOrderTerminal,
  moneyConserved,
  readModelsMatchTheLog,
  stockConserved,
} from "./demo/invariants.ts";
import { RunMonitor } from "./demo/monitor.ts";
import type { RunOutcomes } from "./demo/outcomes.ts";
import { readOutcomes } from "./demo/outcomes.ts";
import { bold, dim, green, ProgressView, red } from "./demo/progress.ts";
import type { OrderOutcome, PlannedOrder } from "./demo/workload.ts";
import { buildWorkload, expectedStatus } from "./demo/workload.ts";
import { API_PORT_ENV, DEFAULT_API_PORT } from "./host/http-gateway.ts";
import { LocalSession } from "./host/session.ts";
import { describeStackError, stackUp } from "./stack/index.ts";
import { duplexHome } from "./stack/paths.ts";

const usage = `usage: npm start -- [options]

Runs the order-fulfilment demo on the local stack and checks its invariants.

options:
  --customers N       customers to register                (default 20)
  --orders N          orders to place                      (default 100)
  --rate R            orders placed per second, 0 for all at once (default 3)
  --failure-share F   share of orders designed to fail, 0-1 (default 0.25)
  --seed N            workload seed                        (default 42)
  --timeout S         give up waiting for orders after S s (default 240)
  --serve             keep the functions host running after the summary (for the duplex CLI,
                      the console and the HTTP API on 127.0.0.1:$DUPLEX_API_PORT, default 8787)
  --via publish|http  place orders with the publisher (default) or through the HTTP command API
  --measure-costs F   count what the orders cost in requests (functions log at INFO) and write
                      it to the JSON file F, the input of the cost model (npm run cost)
  --json              print the summary as JSON
  -h, --help          this text

examples:
  npm start
  npm start -- --orders 500 --rate 5 --failure-share 0.4 --seed 7
  npm start -- --orders 200 --rate 0    # one burst: queues build up, no outcome changes
  npm start -- --via http --serve       # orders through POST /commands/PlaceOrderRequested`;

function parse() {
  const { values } = parseArgs({
    options: {
      customers: { type: "string", default: "20" },
      orders: { type: "string", default: "100" },
      rate: { type: "string", default: "3" },
      "failure-share": { type: "string", default: "0.25" },
      seed: { type: "string", default: "42" },
      timeout: { type: "string", default: "240" },
      serve: { type: "boolean", default: false },
      via: { type: "string", default: "publish" },
      "measure-costs": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const number = (name: string, raw: string, min: number, max: number) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      console.error(`--${name}: expected a number from ${min} to ${max}, got '${raw}'`);
      process.exit(2);
    }
    return value;
  };
  return {
    customers: Math.floor(number("customers", values.customers, 1, 10_000)),
    orders: Math.floor(number("orders", values.orders, 1, 100_000)),
    rate: number("rate", values.rate, 0, 10_000),
    failureShare: number("failure-share", values["failure-share"], 0, 1),
    seed: Math.floor(number("seed", values.seed, 0, 2 ** 31)),
    timeoutSeconds: number("timeout", values.timeout, 10, 86_400),
    serve: values.serve,
    via: ((via: string) => {
      if (via !== "publish" && via !== "http") {
        console.error(`--via: expected publish or http, got '${via}'`);
        process.exit(2);
      }
      return via;
    })(values.via),
    json: values.json,
    measureCosts: values["measure-costs"],
  };
}

const options = parse();
const say = (line: string) => {
  if (!options.json) console.log(line);
};

say(bold("Duplex — order fulfilment on the local stack"));
try {
  const up = await stackUp({ log: (line) => say(dim(`  ${line}`)) });
  say(
    `stack: Kafka ${up.endpoints.kafkaBrokers.join(",")}, AWS ${up.endpoints.awsEndpoint} (${(up.durationMs / 1000).toFixed(1)} s)`,
  );
} catch (error) {
  console.error(describeStackError(error));
  process.exit(1);
}

const sessionName = "demo";
// The HTTP API listens on a fixed port when someone will call it from outside this process.
const apiPortRaw = process.env[API_PORT_ENV];
const apiPort =
  apiPortRaw !== undefined && apiPortRaw !== ""
    ? Number(apiPortRaw)
    : options.serve
      ? DEFAULT_API_PORT
      : 0;
if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65_535) {
  console.error(`${API_PORT_ENV}: expected a port number, got '${apiPortRaw}'`);
  process.exit(2);
}
await LocalSession.wipe(sessionName);
const provisionStarted = Date.now();
const sagaEnv = {
  // A payment that never answers is compensated 15 s after it was handled instead of a
  // minute. Deadlines are judged in stream time (docs/architecture.md), so a burst that
  // queues commands or answers changes no outcome however slow the machine.
  DUPLEX_SAGA_PAYMENT_TIMEOUT_SECONDS: "15",
  DUPLEX_SAGA_INVENTORY_TIMEOUT_SECONDS: "60",
  DUPLEX_SAGA_DELIVERY_TIMEOUT_SECONDS: "60",
  DUPLEX_SAGA_STEP_TIMEOUT_SECONDS: "60",
  // Our own lag holds a deadline for at most this long: a saga consumer without progress
  // (or a command never handled) for 5 minutes is decided on the wall clock.
  DUPLEX_SAGA_STALL_GRACE_SECONDS: "300",
};
// Measuring costs: every function meters its AWS calls and logs at INFO (as prod does), into a
// folder of this run.
const measureLogDir =
  options.measureCosts === undefined
    ? undefined
    : join(duplexHome, "measure", new Date().toISOString().replaceAll(":", "-"));
const session = await LocalSession.start({
  name: sessionName,
  settings: {
    fastLaneDeadlineSeconds: 10,
    outboxGraceSeconds: 5,
    logLevel: measureLogDir === undefined ? "WARN" : "INFO",
  },
  apiPort,
  ...(measureLogDir === undefined ? {} : { logDir: measureLogDir }),
  functionEnv: Object.fromEntries(
    functionDeclarations.map((d) => [
      d.name,
      {
        ...(d.name === "order-saga" || d.name === "saga-sweeper" ? sagaEnv : {}),
        ...(measureLogDir === undefined ? {} : { [METER_ENV]: "1" }),
      },
    ]),
  ),
});
say(
  `provisioned ${Object.keys(session.resources.commandQueues).length} fast-lane queues, 5 tables, 11 topics and started ${session.host?.functions.size ?? 0} functions in ${((Date.now() - provisionStarted) / 1000).toFixed(1)} s (namespace '${session.topicPrefix}')`,
);

const apiUrl = session.host?.api?.url;
if (apiUrl !== undefined) say(`HTTP API: ${apiUrl} (POST /commands/{type}, GET /orders/{id}, ...)`);
const placement: HttpPlacement = { accepted: 0, refused: 0, retries: 0 };
const place = async (commands: readonly EventEnvelope[]) => {
  if (options.via === "publish") {
    await session.publish(commands);
    return;
  }
  if (apiUrl === undefined) throw new Error("the functions host serves no HTTP API");
  await placeViaHttp(apiUrl, commands, placement);
};

const workload = buildWorkload({ ...options, runId: options.seed.toString(36) });
const readModels = session.readModels();
await session.publish([...workload.customers, ...workload.restocks]);
await session.waitFor(
  "customers and products to be registered",
  async () => {
    for (const restock of workload.restocks) {
      if ((await readModels.get("inventory-levels", restock.aggregateId)) === undefined)
        return false;
    }
    for (const customer of workload.customers) {
      if ((await readModels.get("customer-orders", customer.aggregateId)) === undefined)
        return false;
    }
    return true;
  },
  // A busy machine may take long to start the functions' consumers: the run's own budget.
  options.timeoutSeconds * 1000,
  250,
);
say(`seeded ${workload.customers.length} customers and ${workload.restocks.length} products`);

const meter =
  measureLogDir === undefined ? undefined : await startCostMeter(session, measureLogDir);
const monitor = new RunMonitor(session);
monitor.start();
const view = new ProgressView(workload.orders.length);
const firsts = workload.orders.filter((o) => o.designed !== "rejected-duplicate-order");
const duplicates = workload.orders.filter((o) => o.designed === "rejected-duplicate-order");
const uniqueOrderIds = [...new Set(workload.orders.map((o) => o.orderId))];

const started = Date.now();
let phase = "placing orders";
const ticker = setInterval(() => {
  monitor
    .poll()
    .then(() => {
      if (!options.json) view.render(monitor.snapshot(), phase);
    })
    .catch(() => undefined);
}, 1_000);

// Orders arrive at --rate per second (a storefront's traffic), or in one burst with --rate 0.
const perTick = options.rate === 0 ? 25 : Math.max(1, Math.round(options.rate));
const tickMs = options.rate === 0 ? 0 : (1000 * perTick) / options.rate;
for (let i = 0; i < firsts.length; i += perTick) {
  const due = started + (i / perTick) * tickMs;
  if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
  await place(firsts.slice(i, i + perTick).map((o) => o.command));
}
// A duplicate must come after the order it copies has been placed, or it would be the original.
await session.waitFor(
  "the duplicated orders to be placed",
  async () => {
    for (const d of duplicates) {
      if ((await readModels.get("order-summary", d.orderId)) === undefined) return false;
    }
    return true;
  },
  options.timeoutSeconds * 1000,
  250,
);
if (duplicates.length > 0) await place(duplicates.map((o) => o.command));
const publishedAt = Date.now();
phase = "draining";

const pending = new Set(uniqueOrderIds);
const deadline = started + options.timeoutSeconds * 1000;
while (pending.size > 0 && Date.now() < deadline) {
  for (const orderId of [...pending]) {
    const status = (await readModels.get("order-summary", orderId))?.status as string | undefined;
    if (status === "COMPLETED" || status === "CANCELLED" || status === "REJECTED") {
      pending.delete(orderId);
    }
  }
  if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
}
const drainedAt = Date.now();
// Let every consumer (projectors, saga, ledger) catch up before the checks read what they wrote.
await session.settle(60_000).catch(() => undefined);
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
await monitor.poll();
const snapshot = monitor.snapshot();
if (!options.json) {
  view.render(snapshot, pending.size === 0 ? "drained" : "timed out");
  view.release();
}
await monitor.stop();

// Every count below comes from this one reading of the system of record, after it settled.
const outcomes = await readOutcomes(session, uniqueOrderIds);
const statusOf = (orderId: string) => outcomes.orders.get(orderId)?.status;

say("");
say(bold("checking invariants"));
const results: InvariantResult[] = [];
results.push(everyOrderTerminal(outcomes));
results.push(await stockConserved(session, workload.initialStock));
results.push(await moneyConserved(session));
results.push(await readModelsMatchTheLog(session, (line) => say(dim(line))));

const byDesign = new Map<OrderOutcome, { expected: number; matched: number }>();
for (const order of firsts) {
  const entry = byDesign.get(order.designed) ?? { expected: 0, matched: 0 };
  entry.expected++;
  if (statusOf(order.orderId) === expectedStatus(order.designed)) entry.matched++;
  byDesign.set(order.designed, entry);
}
const designMismatches = [...byDesign].filter(([, v]) => v.matched !== v.expected);
results.push({
  name: "each order ended the way it was designed to",
  ok: designMismatches.length === 0,
  detail: [...byDesign].map(([k, v]) => `${k} ${v.matched}/${v.expected}`).join(", "),
  examples: designMismatches.map(([k, v]) => `${k}: ${v.matched}/${v.expected}`),
});

const seconds = (ms: number) => Number((ms / 1000).toFixed(1));
const matched = [...byDesign.values()].reduce((n, v) => n + v.matched, 0);
const summary = {
  /** Unique order ids. */
  orders: uniqueOrderIds.length,
  /** PlaceOrderRequested commands sent, duplicates of an earlier order id included. */
  placeOrderCommands: workload.orders.length,
  duplicateCommands: duplicates.length,
  ordersPerSecond: Number((uniqueOrderIds.length / ((drainedAt - started) / 1000)).toFixed(1)),
  secondsToPublish: seconds(publishedAt - started),
  secondsToDrain: seconds(drainedAt - publishedAt),
  totalSeconds: seconds(drainedAt - started),
  /** Orders per final status, from the order-summary read model. */
  outcomes: outcomes.orderCounts,
  /** Sagas per status (one per placed order), from the sagas table. */
  sagas: { total: outcomes.sagas, ...outcomes.sagaCounts },
  /** Orders (first commands) whose final status is the one the workload designed. */
  endedAsDesigned: { matched, of: firsts.length },
  /** Cancellations decided on the wall clock because our own lag held a deadline past the grace. */
  forcedCancellations: outcomes.forcedCancellations.length,
  examples: examplesOf(outcomes, firsts),
  eventsOnLog: snapshot.eventsOnLog,
  fastLane: {
    p50Ms: snapshot.fastLaneP50,
    p99Ms: snapshot.fastLaneP99,
    samples: snapshot.fastLaneSamples,
  },
  dlqMessages: snapshot.dlqMessages,
  deadLetterRecords: snapshot.deadLetterRecords,
  via: options.via,
  ...(options.via === "http" ? { http: placement } : {}),
  invariants: results,
  functions: session.host?.stats().functions,
};

if (meter !== undefined && options.measureCosts !== undefined) {
  const measured = await meter.finish(uniqueOrderIds.length, {
    COMPLETED: snapshot.completed,
    CANCELLED: snapshot.cancelled,
    REJECTED: snapshot.rejected,
  });
  writeFileSync(
    options.measureCosts,
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        how: `npm start -- --orders ${options.orders} --rate ${options.rate} --failure-share ${options.failureShare} --seed ${options.seed} --measure-costs FILE (functions at INFO; local stack, 1 broker)`,
        commandsPublishedByProducers: workload.orders.length,
        ...measured,
      },
      null,
      2,
    )}\n`,
  );
  say(`costs: what ${uniqueOrderIds.length} orders took is in ${options.measureCosts}`);
}

if (options.json) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  for (const r of results) {
    say(`${r.ok ? green("✓") : red("✗")} ${r.name}: ${r.detail}`);
    for (const example of r.examples) say(red(`    ${example}`));
  }
  say("");
  say(bold("summary"));
  for (const line of summaryLines()) say(`  ${line}`);
  say("");
  say(
    bold("look at an order") + dim(" (the stack stays up; these read the log of session 'demo')"),
  );
  for (const example of summary.examples) {
    const what = `${example.status.toLowerCase()}${example.code === undefined ? "" : ` (${example.code})`}`;
    say(`  ${what.padEnd(28)} order ${example.orderId}, correlation id ${example.correlationId}`);
    say(dim(`      npx duplex trace ${example.correlationId}`));
    say(dim(`      npx duplex state Order ${example.orderId}`));
  }
}

/** The summary's lines, each saying what it counts. */
function summaryLines(): string[] {
  const o = summary.outcomes;
  const s = summary.sagas;
  const designs = [...byDesign].map(([k, v]) => `${k} ${v.matched}/${v.expected}`).join(", ");
  return [
    `orders       ${summary.orders} order ids, placed by ${summary.placeOrderCommands} PlaceOrderRequested commands (${summary.duplicateCommands} repeat an earlier order id: rejected as duplicates, the original order unaffected)`,
    `time         ${summary.totalSeconds} s: ${summary.ordersPerSecond} orders/s; placed over ${summary.secondsToPublish} s${options.rate === 0 ? " (one burst)" : ` (${options.rate}/s)`}, all ended ${summary.secondsToDrain} s after the last was placed`,
    `outcomes     per order id (order-summary read model): ${o.COMPLETED} completed, ${o.CANCELLED} cancelled, ${o.REJECTED} rejected, ${o.notEnded} not ended`,
    `sagas        one per order placed (a rejected order starts none): ${s.total}; ${s.COMPLETED ?? 0} completed, ${s.CANCELLED ?? 0} cancelled, ${s.FAILED ?? 0} failed, ${s.total - (s.COMPLETED ?? 0) - (s.CANCELLED ?? 0) - (s.FAILED ?? 0)} still running; ${summary.forcedCancellations} cancelled on the wall clock (degraded)`,
    `as designed  ${summary.endedAsDesigned.matched}/${summary.endedAsDesigned.of} orders ended the way the workload designed them (${designs})`,
    `fast lane    command published → its handler's first fact: p50 ${summary.fastLane.p50Ms ?? "–"} ms, p99 ${summary.fastLane.p99Ms ?? "–"} ms over ${summary.fastLane.samples} commands (the saga's included); ${summary.eventsOnLog} events on the log`,
    `dead letters ${summary.dlqMessages} in SQS DLQs, ${summary.deadLetterRecords} on the dead-letters topic`,
    ...(options.via === "http"
      ? [
          `http api     ${placement.accepted} orders accepted (202); refused while the log was down: ${placement.refused}, retried: ${placement.retries}`,
        ]
      : []),
  ];
}

/** One order per final status (the first planned for it when there is one), to look at. */
function examplesOf(
  ended: RunOutcomes,
  planned: readonly PlannedOrder[],
): { status: string; code?: string; orderId: string; correlationId: string }[] {
  const examples: { status: string; code?: string; orderId: string; correlationId: string }[] = [];
  for (const status of ["COMPLETED", "CANCELLED", "REJECTED"]) {
    const order = planned.find((p) => ended.orders.get(p.orderId)?.status === status);
    if (order === undefined) continue;
    const code = ended.orders.get(order.orderId)?.code;
    examples.push({
      status,
      ...(code === undefined ? {} : { code }),
      orderId: order.orderId,
      // The flow's correlation id is the id of its first command.
      correlationId: order.command.correlationId,
    });
  }
  return examples;
}

const failed = results.filter((r) => !r.ok);
if (options.serve) {
  say(dim(`serving: the functions host keeps running (session '${session.name}'); Ctrl-C to stop`));
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
}
await session.stop({ keepDescription: true });
say(
  failed.length === 0 ? green("all invariants hold") : red(`${failed.length} invariant(s) failed`),
);
process.exit(failed.length === 0 ? 0 : 1);
