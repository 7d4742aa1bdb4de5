/**
 * CPU per record of each phase of a rebuild, on a local session's log (issue 12's profile):
 *
 * ```
 * npm start -- --serve                                # or any session with topics
 * npm run history -- --events 100000                  # a log to measure on
 * node test/bench/rebuild-phases.ts --session demo --projection order-summary --reps 4
 * node --cpu-prof test/bench/rebuild-phases.ts ...    # where the time goes
 * ```
 *
 * Per repetition: the projection's partitions read from offset 0 with the group-less reader (the
 * raw read), the records of the projection's types decoded into envelopes, and the events folded
 * a flush of 10,000 at a time into item states (planned, folded, kept in a map as the rebuild's
 * cache does). CPU time from `process.cpuUsage`, divided by the records read; the minimum over
 * the repetitions is the least disturbed by a shared machine.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CE_HEADERS, fromKafkaRecord } from "../../events/codecs/kafka.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import type { IncomingRecord, RecordRange } from "../../functions/kit/log/port.ts";
import { foldPlan, type ItemState, planFold } from "../../functions/kit/view-fold.ts";
import { cpuUs } from "./lib/harness.ts";
import { openSessionProjection } from "./lib/session-projection.ts";

const { values } = parseArgs({
  options: {
    session: { type: "string", default: "demo" },
    projection: { type: "string", default: "order-summary" },
    reps: { type: "string", default: "4" },
  },
});
const { projection, topics, log } = openSessionProjection(
  values.session,
  values.projection,
  "duplex-phases",
);
const admin = log.admin();
const ranges: RecordRange[] = [];
for (const topic of topics) {
  for (const p of await admin.topicOffsets(topic)) {
    ranges.push({ topic, partition: p.partition, from: BigInt(p.low), to: BigInt(p.high) });
  }
}
const types = projection.eventTypes as ReadonlySet<string>;
const phases: Record<"read" | "decode" | "plan+fold", number[]> = {
  read: [],
  decode: [],
  "plan+fold": [],
};
let count = 0;
for (let rep = 0; rep < Number(values.reps); rep++) {
  let records: IncomingRecord[] = [];
  let started = cpuUs();
  const reader = log.reader();
  await reader.read(ranges, (batch) => {
    for (const record of batch.records) records.push(record);
  });
  await reader.close();
  count = records.length;
  phases.read.push((cpuUs() - started) / count);

  started = cpuUs();
  const events: EventEnvelope[] = [];
  for (const record of records) {
    const type = record.headers[CE_HEADERS.type]?.toString("utf8");
    if (type === undefined || types.has(type)) events.push(fromKafkaRecord(record));
  }
  phases.decode.push((cpuUs() - started) / count);
  records = [];

  started = cpuUs();
  const cache = new Map<string, ItemState>();
  for (let at = 0; at < events.length; at += 10_000) {
    const folded = foldPlan(planFold(projection, 1, events.slice(at, at + 10_000)), (id) =>
      cache.get(id),
    );
    for (const changed of [folded.views, folded.guards]) {
      for (const [id, state] of changed) {
        cache.delete(id);
        cache.set(id, state);
      }
    }
  }
  phases["plan+fold"].push((cpuUs() - started) / count);
}
await admin.close();
console.log(`${values.projection}: ${count.toLocaleString("en-US")} records, CPU µs per record`);
for (const [phase, us] of Object.entries(phases)) {
  console.log(
    `${phase.padEnd(10)} min ${Math.min(...us).toFixed(1)}   each: ${us.map((u) => u.toFixed(1)).join(" ")}`,
  );
}
process.exit(0);
