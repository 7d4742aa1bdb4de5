#!/usr/bin/env node
/**
 * `npm start` — the main job. Brings up the local stack, provisions Duplex from the catalog and
 * the trigger declarations, starts the local functions host, and drives an order-fulfilment
 * workload through both lanes, with live progress; then checks the invariants and exits non-zero
 * if one fails.
 */
import { parseArgs } from "node:util";
import type { EventEnvelope } from "../events/envelope.ts";
import { type HttpPlacement, placeViaHttp } from "./demo/http-placer.ts";
import type { InvariantResult } from "./demo/invariants.ts";
import {
  everyOrderTerminal,
  moneyConserved,
  readModelsMatchTheLog,
  stockConserved,
} from "./demo/invariants.ts";
import { RunMonitor } from "./demo/monitor.ts";
import { bold, dim, green, ProgressView, red } from "./demo/progress.ts";
import type { OrderOutcome } from "./demo/workload.ts";
import { buildWorkload, expectedStatus } from "./demo/workload.ts";
import { API_PORT_ENV, DEFAULT_API_PORT } from "./host/http-gateway.ts";
import { LocalSession } from "./host/session.ts";
import { describeStackError, stackUp } from "./stack/index.ts";

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
  --json              print the summary as JSON
  -h, --help          this text

examples:
  npm start
  npm start -- --orders 500 --rate 5 --failure-share 0.4 --seed 7
  npm start -- --orders 200 --rate 0    # one burst: shows queueing and saga timeouts under load
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
const session = await LocalSession.start({
  name: sessionName,
  settings: { fastLaneDeadlineSeconds: 10, outboxGraceSeconds: 5, logLevel: "WARN" },
  apiPort,
  functionEnv: Object.fromEntries(
    ["order-saga", "saga-sweeper"].map((fn) => [
      fn,
      {
        // A payment that never answers is compensated after 15 s instead of a minute; long enough
        // that a slow machine does not time out payments that are merely queued.
        DUPLEX_SAGA_PAYMENT_TIMEOUT_SECONDS: "15",
        DUPLEX_SAGA_INVENTORY_TIMEOUT_SECONDS: "60",
        DUPLEX_SAGA_DELIVERY_TIMEOUT_SECONDS: "60",
        DUPLEX_SAGA_STEP_TIMEOUT_SECONDS: "60",
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
  options.timeoutSeconds * 1000,
  250,
);
say(`seeded ${workload.customers.length} customers and ${workload.restocks.length} products`);

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
const statuses = new Map<string, string>();
const deadline = started + options.timeoutSeconds * 1000;
while (pending.size > 0 && Date.now() < deadline) {
  for (const orderId of [...pending]) {
    const status = (await readModels.get("order-summary", orderId))?.status as string | undefined;
    if (status === "COMPLETED" || status === "CANCELLED" || status === "REJECTED") {
      pending.delete(orderId);
      statuses.set(orderId, status);
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

say("");
say(bold("checking invariants"));
const results: InvariantResult[] = [];
results.push(await everyOrderTerminal(session, uniqueOrderIds));
results.push(await stockConserved(session, workload.initialStock));
results.push(await moneyConserved(session));
results.push(await readModelsMatchTheLog(session, (line) => say(dim(line))));

const byDesign = new Map<OrderOutcome, { expected: number; matched: number }>();
for (const order of firsts) {
  const entry = byDesign.get(order.designed) ?? { expected: 0, matched: 0 };
  entry.expected++;
  if (statuses.get(order.orderId) === expectedStatus(order.designed)) entry.matched++;
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
const summary = {
  orders: workload.orders.length,
  uniqueOrders: uniqueOrderIds.length,
  ordersPerSecond: Number((uniqueOrderIds.length / ((drainedAt - started) / 1000)).toFixed(1)),
  secondsToPublish: seconds(publishedAt - started),
  secondsToDrain: seconds(drainedAt - publishedAt),
  totalSeconds: seconds(drainedAt - started),
  completed: snapshot.completed,
  cancelled: snapshot.cancelled,
  rejected: snapshot.rejected,
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

if (options.json) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  for (const r of results) {
    say(`${r.ok ? green("✓") : red("✗")} ${r.name}: ${r.detail}`);
    for (const example of r.examples) say(red(`    ${example}`));
  }
  say("");
  say(bold("summary"));
  say(
    `  ${summary.uniqueOrders} orders (${summary.orders} commands) in ${summary.totalSeconds} s: ${summary.ordersPerSecond} orders/s; placed over ${summary.secondsToPublish} s${options.rate === 0 ? " (one burst)" : ` (${options.rate}/s)`}, drained ${summary.secondsToDrain} s after the last`,
  );
  say(
    `  ${summary.completed} completed, ${summary.cancelled} cancelled, ${summary.rejected} rejected; ${summary.eventsOnLog} events on the log`,
  );
  say(
    `  fast lane (command published → handled): p50 ${summary.fastLane.p50Ms ?? "–"} ms, p99 ${summary.fastLane.p99Ms ?? "–"} ms over ${summary.fastLane.samples} commands`,
  );
  say(
    `  dead letters: ${summary.dlqMessages} in SQS DLQs, ${summary.deadLetterRecords} on the dead-letters topic`,
  );
  if (options.via === "http") {
    say(
      `  HTTP API: ${placement.accepted} orders accepted (202); refused while the log was down: ${placement.refused}, retried: ${placement.retries}`,
    );
  }
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
