/**
 * `npm run history -- --events N [--session NAME] [--hours H] [--seed S]` — writes generated
 * order flows (`localstack/demo/history.ts`: the real deciders and saga, in memory) onto a local
 * session's log at full speed, for rebuild and replay drills on a big log:
 *
 * ```
 * npm start -- --serve                       # a session ("demo") that keeps running
 * npm run history -- --events 1000000        # a million events onto its topics
 * npx duplex projection rebuild order-summary --verify
 * ```
 *
 * Only the log is written: the aggregates and the live read models know nothing of these
 * flows, so a rebuild from offset 0 is what makes them visible.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createLogClient } from "../functions/kit/log/client.ts";
import { namespacedProducer } from "../functions/kit/log/namespace.ts";
import { writeHistory } from "./demo/history.ts";
import { readSessionDescription } from "./host/session.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string" },
    session: { type: "string", default: "demo" },
    hours: { type: "string", default: "12" },
    seed: { type: "string", default: "1" },
    help: { type: "boolean", default: false },
  },
});
const USAGE =
  "usage: npm run history -- --events N [--session demo] [--hours 12] [--seed 1]\n  writes N events of generated order flows (spread over the last H hours of log time) onto a local session's topics";
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const events = Number(values.events);
const hours = Number(values.hours);
if (!Number.isInteger(events) || events < 1 || !(hours > 0)) {
  console.error(
    `--events must be a whole number of events and --hours a positive number\n${USAGE}`,
  );
  process.exit(2);
}
const session = readSessionDescription(values.session);
if (session === undefined) {
  console.error(
    `no local session '${values.session}' (.duplex/sessions/${values.session}.json): start one with 'npm start -- --serve'`,
  );
  process.exit(3);
}
const log = createLogClient({
  brokers: session.endpoints.kafkaBrokers,
  auth: "none",
  clientId: `duplex-history-${process.pid}`,
});
const producer = namespacedProducer(log.producer(), session.topicPrefix);
const started = Date.now();
const namespace = `x${started.toString(36)}-`;
const written = await writeHistory(
  producer,
  { events, spanMs: hours * 3_600_000, seed: Number(values.seed), idNamespace: namespace },
  (n) => process.stderr.write(`\r${n.toLocaleString("en-US")} / ${events.toLocaleString("en-US")}`),
);
await producer.close();
const seconds = (Date.now() - started) / 1000;
process.stderr.write("\n");
console.log(
  `${written.events.toLocaleString("en-US")} events (${written.flows.toLocaleString("en-US")} flows, ids o-${namespace}…) written to session ${values.session} in ${seconds.toFixed(1)} s (${Math.round(written.events / seconds).toLocaleString("en-US")}/s); a flow to trace: ${written.sampleCorrelationIds[0] ?? "-"}`,
);
process.exit(0);
