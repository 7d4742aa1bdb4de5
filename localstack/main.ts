#!/usr/bin/env node
/**
 * `npm start` — the main job. Brings up the local stack, provisions Duplex from the catalog and
 * the trigger declarations, starts the local functions host, and drives an order-fulfilment
 * workload through both lanes, with live progress; then checks the invariants and the run
 * history and exits non-zero if one fails. `--chaos` injects a schedule of faults on the way.
 */
import { parseArgs } from "node:util";
import type { RunOutcomes } from "./demo/outcomes.ts";
import { bold, dim, green, red } from "./demo/progress.ts";
import type { OrderRunResult } from "./demo/run.ts";
import { runOrders } from "./demo/run.ts";
import type { PlannedOrder } from "./demo/workload.ts";
import type { ChaosStep } from "./drills/chaos.ts";
import { chaosSchedule, runChaos } from "./drills/chaos.ts";
import { historyLine } from "./history/verify.ts";
import { API_PORT_ENV, DEFAULT_API_PORT } from "./host/http-gateway.ts";
import { describeStackError, EMULATORS, type Emulator, stackUp } from "./stack/index.ts";

const usage = `usage: npm start -- [options]

Runs the order-fulfilment demo on the local stack and checks its invariants and its run history.

options:
  --customers N       customers to register                (default 20)
  --orders N          orders to place                      (default 100; 300 with --chaos)
  --rate R            orders placed per second, 0 for all at once (default 3)
  --failure-share F   share of orders designed to fail, 0-1 (default 0.25)
  --seed N            workload seed                        (default 42)
  --timeout S         give up waiting for orders after S s (default 240, or 1 s per order
                      when more; 420 with --chaos); a run that times out stops its
                      writers, lets the projectors catch up, checks what stands and fails
  --chaos             inject faults while the orders flow: a broker dies, the AWS emulator and
                      DynamoDB freeze, execution environments are killed mid-batch, PutEvents
                      fails entry by entry, consumers are throttled (see docs/reliability.md)
  --emulator E        AWS emulator: moto or localstack (default: DUPLEX_EMULATOR, else the
                      running stack's, else moto)
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
  npm start -- --via http --serve       # orders through POST /commands/PlaceOrderRequested
  npm start -- --chaos                  # the same run through a schedule of faults
  npm start -- --emulator localstack    # the same on LocalStack (needs Python 3.13 once)`;

function parse() {
  const { values } = parseArgs({
    options: {
      customers: { type: "string", default: "20" },
      orders: { type: "string" },
      rate: { type: "string", default: "3" },
      "failure-share": { type: "string", default: "0.25" },
      seed: { type: "string", default: "42" },
      timeout: { type: "string" },
      chaos: { type: "boolean", default: false },
      emulator: { type: "string" },
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
  if (
    values.emulator !== undefined &&
    !(EMULATORS as readonly string[]).includes(values.emulator)
  ) {
    console.error(`--emulator: expected one of ${EMULATORS.join(", ")}, got '${values.emulator}'`);
    process.exit(2);
  }
  // A burst of 300 orders took 225 s on a quiet 2-core machine: the wait grows with the workload.
  const defaultTimeout = () =>
    String(Math.max(values.chaos ? 420 : 240, Number(values.orders ?? 0) || 0));
  return {
    emulator: values.emulator as Emulator | undefined,
    customers: Math.floor(number("customers", values.customers, 1, 10_000)),
    orders: Math.floor(
      number("orders", values.orders ?? (values.chaos ? "300" : "100"), 1, 100_000),
    ),
    rate: number("rate", values.rate, 0, 10_000),
    failureShare: number("failure-share", values["failure-share"], 0, 1),
    seed: Math.floor(number("seed", values.seed, 0, 2 ** 31)),
    timeoutSeconds: number("timeout", values.timeout ?? defaultTimeout(), 10, 86_400),
    chaos: values.chaos,
    serve: values.serve,
    via: ((via: string): "publish" | "http" => {
      if (via === "publish" || via === "http") return via;
      console.error(`--via: expected publish or http, got '${via}'`);
      process.exit(2);
    })(values.via),
    json: values.json,
    measureCosts: values["measure-costs"],
  };
}

const options = parse();
const say = (line: string) => {
  if (!options.json) console.log(line);
};

say(bold(`Duplex — order fulfilment on the local stack${options.chaos ? ", with chaos" : ""}`));
let brokers: 1 | 3;
try {
  const up = await stackUp({
    log: (line) => say(dim(`  ${line}`)),
    ...(options.emulator === undefined ? {} : { emulator: options.emulator }),
  });
  brokers = up.brokerCount;
  say(
    `stack: Kafka ${up.endpoints.kafkaBrokers.join(",")}, AWS ${up.endpoints.awsEndpoint} (${up.endpoints.awsEmulator}) (${(up.durationMs / 1000).toFixed(1)} s)`,
  );
} catch (error) {
  console.error(describeStackError(error));
  process.exit(1);
}
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
if (options.chaos) say(dim(`chaos schedule: ${chaosSchedule(brokers).join(" → ")}`));

let chaos: ChaosStep[] = [];
let run: OrderRunResult;
try {
  run = await runOrders({
    ...options,
    sessionName: "demo",
    apiPort,
    say,
    live: !options.json,
    ...(options.chaos
      ? {
          during: async (running) => {
            chaos = await runChaos(running, brokers);
          },
        }
      : {}),
  });
} catch (error) {
  // Whatever went wrong, say it plainly: the run could not finish, and why.
  console.error(red(`the run could not finish: ${describeStackError(error)}`));
  process.exit(1);
}

const history = run.history?.report;
const results = [...run.invariants];
if (!run.drained) {
  results.unshift({
    name: "every order ended within the run's timeout",
    ok: false,
    detail: `${run.notEndedAtTimeout} of ${run.uniqueOrders} orders were still running ${run.totalSeconds} s after the first was placed (--timeout ${options.timeoutSeconds}); the writers were then stopped and the projectors let catch up, so the checks below describe a system standing still (raise --timeout, or lower --orders or --rate, to let every order end)`,
    examples: [],
  });
}
if (history !== undefined) {
  results.push({
    name: "the run history checks out (nothing acknowledged lost, no duplicate effect, order per aggregate, nothing half-published)",
    ok: history.ok,
    detail: `${historyLine(history)}; ${history.effects} effects in ${run.history?.files ?? 0} files, checked in ${run.history?.elapsedMs ?? 0} ms`,
    examples: history.violations.slice(0, 5).map((v) => `${v.rule}: ${v.detail}`),
  });
}
// A fault may legitimately change how an order ends (a payment that did not answer within the
// saga's deadline while the log was down is compensated and the order cancelled): under chaos, or
// when the run itself met a log outage (the shop front was refused), the design check is reported,
// not enforced. On a quiet run it must hold.
const faultsMet = options.chaos || run.placer.refused > 0;
if (!faultsMet) results.push(run.designCheck);

const { outcomes } = run;
const summary = {
  /** Unique order ids. */
  orders: run.uniqueOrders,
  /** PlaceOrderRequested commands sent, duplicates of an earlier order id included. */
  placeOrderCommands: run.orders,
  duplicateCommands: run.duplicateCommands,
  ordersPerSecond: run.ordersPerSecond,
  secondsToPublish: run.secondsToPublish,
  secondsToDrain: run.secondsToDrain,
  totalSeconds: run.totalSeconds,
  /** Orders per final status, from the order-summary read model. */
  outcomes: outcomes.orderCounts,
  /** Sagas per status (one per placed order), from the sagas table. */
  sagas: { total: outcomes.sagas, ...outcomes.sagaCounts },
  /** Orders (first commands) whose final status is the one the workload designed. */
  endedAsDesigned: run.endedAsDesigned,
  /** Cancellations decided on the wall clock because our own lag held a deadline past the grace. */
  forcedCancellations: outcomes.forcedCancellations.length,
  examples: examplesOf(outcomes, run.firsts),
  eventsOnLog: run.snapshot.eventsOnLog,
  fastLane: {
    p50Ms: run.snapshot.fastLaneP50,
    p99Ms: run.snapshot.fastLaneP99,
    samples: run.snapshot.fastLaneSamples,
  },
  dlqMessages: run.snapshot.dlqMessages,
  deadLetterRecords: run.snapshot.deadLetterRecords,
  via: options.via,
  ...(options.via === "http" ? { http: run.http } : {}),
  shopFront: {
    refusedWhileLogDown: run.placer.refused,
    retried: run.placer.retried,
    delayedEvents: run.placer.delayedEvents,
    givenUp: run.placer.givenUp.length,
  },
  history: history === undefined ? undefined : { ...history, violations: history.violations },
  chaos: chaos.map((c) => ({ drill: c.drill, detail: c.window.detail })),
  invariants: results,
  designCheck: run.designCheck,
  functions: run.session.host?.stats().functions,
};

if (options.json) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  for (const r of results) {
    say(`${r.ok ? green("✓") : red("✗")} ${r.name}: ${r.detail}`);
    for (const example of r.examples) say(red(`    ${example}`));
  }
  if (faultsMet) {
    say(
      dim(
        `  (${options.chaos ? "" : "the log refused publishes during this run; "}${run.designCheck.ok ? "every order ended as designed" : `orders that ended otherwise than designed, as faults may cause: ${run.designCheck.detail}`})`,
      ),
    );
  }
  say("");
  say(bold("summary"));
  for (const line of summaryLines()) say(`  ${line}`);
  for (const step of chaos) say(dim(`  chaos ${step.drill}: ${step.window.detail}`));
  say("");
  say(
    bold("look at an order") +
      dim(` (the stack stays up; these read the log of session '${run.session.name}')`),
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
  const designs = run.designCheck.detail;
  return [
    `orders       ${summary.orders} order ids, placed by ${summary.placeOrderCommands} PlaceOrderRequested commands (${summary.duplicateCommands} repeat an earlier order id: rejected as duplicates, the original order unaffected)`,
    `time         ${summary.totalSeconds} s: ${summary.ordersPerSecond} orders/s; placed over ${summary.secondsToPublish} s${options.rate === 0 ? " (one burst)" : ` (${options.rate}/s)`}, ${run.drained ? "all ended" : `gave up with ${run.notEndedAtTimeout} not ended`} ${summary.secondsToDrain} s after the last was placed`,
    `outcomes     per order id (order-summary read model): ${o.COMPLETED} completed, ${o.CANCELLED} cancelled, ${o.REJECTED} rejected, ${o.notEnded} not ended`,
    `sagas        one per order placed (a rejected order starts none): ${s.total}; ${s.COMPLETED ?? 0} completed, ${s.CANCELLED ?? 0} cancelled, ${s.FAILED ?? 0} failed, ${s.total - (s.COMPLETED ?? 0) - (s.CANCELLED ?? 0) - (s.FAILED ?? 0)} still running; ${summary.forcedCancellations} cancelled on the wall clock (degraded)`,
    `as designed  ${summary.endedAsDesigned.matched}/${summary.endedAsDesigned.of} orders ended the way the workload designed them (${designs})`,
    `fast lane    command published → its handler's first fact: p50 ${summary.fastLane.p50Ms ?? "–"} ms, p99 ${summary.fastLane.p99Ms ?? "–"} ms over ${summary.fastLane.samples} commands (the saga's included); ${summary.eventsOnLog} events on the log`,
    `dead letters ${summary.dlqMessages} in SQS DLQs, ${summary.deadLetterRecords} on the dead-letters topic`,
    `shop front   refused while the log was down: ${run.placer.refused}, retried: ${run.placer.retried}${run.placer.givenUp.length > 0 ? `, given up: ${run.placer.givenUp.length}` : ""}`,
    ...(options.via === "http"
      ? [
          `http api     ${run.http.accepted} orders accepted (202); refused while the log was down: ${run.http.refused}, retried: ${run.http.retries}`,
        ]
      : []),
    ...(history === undefined
      ? []
      : [
          `history      ${historyLine(history)}; ${history.repeatsAbsorbed} repeats absorbed, ${history.failedHandlings} failed handlings retried`,
        ]),
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
  // A run that timed out stopped its writers for the checks: serving, they work again.
  if (!run.drained) run.session.host?.resumeAll();
  say(
    dim(
      `serving: the functions host keeps running (session '${run.session.name}'); Ctrl-C to stop`,
    ),
  );
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
}
await run.session.stop({ keepDescription: true });
say(
  failed.length === 0 ? green("all invariants hold") : red(`${failed.length} invariant(s) failed`),
);
process.exit(failed.length === 0 ? 0 : 1);
