/**
 * Handler crash mid-batch → only the unprocessed records are retried. Probe functions (real kit
 * handlers, see test/support/runtime-probe.ts) run in the real local host against the real stack
 * and journal every attempt:
 * - MSK: records before the failing one are not attempted again; the failing one and every later
 *   one of its partition are, and once retries are spent the failing one goes to the
 *   `dead-letters` topic while the later ones are still handled, once;
 * - SQS: of a batch of several messages, only the failing one comes back, alone.
 * And the edges of those semantics: concurrent batches of one function, a batch item failure that
 * names no record, and the same SQS message delivered again while its first delivery still runs.
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEvent } from "../../events/create.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { DLQ_FIELDS } from "../../functions/kit/dead-letters.ts";
import type { FunctionDeclaration, LogTrigger } from "../../functions/kit/declarations.ts";
import { LocalFunction } from "../../localstack/host/local-function.ts";
import { LogPoller } from "../../localstack/host/log-poller.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { SqsPoller } from "../../localstack/host/sqs-poller.ts";
import type { ProbeLine } from "../support/runtime-probe.ts";
import {
  probeFastLaneDeclaration,
  probeLogDeclaration,
  readJournal,
} from "../support/runtime-probe.ts";
import {
  drainQueue,
  fastLaneBody,
  headersOf,
  note,
  queueDepth,
  readTopic,
  sendBodies,
  since,
} from "../support/runtime-stack.ts";
import { sampleEvent } from "../support/samples.ts";
import { tempDir } from "../support/temp-dirs.ts";

let session: LocalSession;
let dir: string;
const stoppers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const started = Date.now();
  // The host runs none of Duplex's functions: only the probes below take records.
  session = await LocalSession.start({ functions: [], settings: { logLevel: "WARN" } });
  dir = tempDir("duplex-probe-");
  note(`partial-batch: session ${session.name} up in ${since(started)} ms`);
});

// Each test's pollers and probes stop with it, so no test's records reach another's probe.
afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => undefined);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

/** A probe function in the session's host environment, journaling to a fresh file. */
function probeFunction(
  declaration: FunctionDeclaration,
  kind: "log" | "fast-lane",
  fail: Record<string, number>,
  name: string,
  extraEnv: Record<string, string> = {},
) {
  const host = session.host;
  if (host === undefined) throw new Error("the session has no host");
  const journal = join(dir, `${name}.jsonl`);
  const fn = new LocalFunction(
    declaration,
    {
      ...host.environmentFor(declaration),
      PROBE_KIND: kind,
      PROBE_JOURNAL: journal,
      PROBE_FAIL: JSON.stringify(fail),
      ...extraEnv,
    },
    join(process.cwd(), ".duplex", "logs", "functions"),
  );
  stoppers.push(() => fn.close());
  return { fn, journal: () => readJournal(journal) };
}

/** Starts an MSK event source mapping of `fn` on a session topic, with its own group. */
function startLogPoller(fn: LocalFunction, catalogTopic: string, group: string) {
  const poller = new LogPoller({
    fn,
    trigger: probeLogDeclaration.trigger as LogTrigger,
    topic: session.topic(catalogTopic),
    groupId: `${session.topicPrefix}${group}`,
    log: session.log,
    deadLetters: session.producer,
  });
  poller.start();
  stoppers.push(() => poller.stop());
  return poller;
}

const attemptsOf = (lines: readonly ProbeLine[], eventId: string) =>
  lines.filter(
    (l): l is Extract<ProbeLine, { t: "attempt" }> => l.t === "attempt" && l.eventId === eventId,
  );
const invokes = (lines: readonly ProbeLine[]) =>
  lines.filter((l): l is Extract<ProbeLine, { t: "invoke" }> => l.t === "invoke");

/** Six facts of one aggregate (one key → one partition), published in one call. */
async function sixOnOnePartition(type: "OrderPlaced" | "DeliveryScheduled", orderId: string) {
  const events: EventEnvelope[] = Array.from({ length: 6 }, (_, i) =>
    type === "OrderPlaced"
      ? sampleEvent("OrderPlaced", { orderId, totalCents: i + 1 })
      : sampleEvent("DeliveryScheduled", { orderId, deliveryId: `d-${i}` }),
  );
  await session.publish(events);
  return events;
}

describe("handler crash mid-batch → only the unprocessed records are retried", () => {
  it("MSK: the records before the failure are not re-applied; it and the later ones are", async () => {
    const events = await sixOnOnePartition("OrderPlaced", `o-${session.name}-msk`);
    const failing = events[2] as EventEnvelope;
    const { fn, journal } = probeFunction(
      probeLogDeclaration,
      "log",
      { [failing.eventId]: 2 },
      "msk-transient",
    );
    await fn.warm();
    const t0 = Date.now();
    startLogPoller(fn, "order-events", "probe-msk-transient");
    const lines = await session.waitFor(
      "every record handled",
      async () => {
        const now = journal();
        return events.every((e) => attemptsOf(now, e.eventId).some((a) => a.ok)) ? now : undefined;
      },
      60_000,
    );
    const ms = since(t0);

    const mine = new Set(events.map((e) => e.eventId));
    const items = (ids: readonly EventEnvelope[]) =>
      ids.map((e) => attemptsOf(lines, e.eventId)[0]?.item);
    const calls = invokes(lines)
      .map((i) => i.items.filter((item) => items(events).includes(item)))
      .filter((i) => i.length > 0);
    // One batch with all six, then two retries carrying the failed record and the rest only.
    expect(calls).toEqual([items(events), items(events.slice(2)), items(events.slice(2))]);
    const counts = events.map((e) => attemptsOf(lines, e.eventId).length);
    expect(counts).toEqual([1, 1, 3, 1, 1, 1]);
    expect(attemptsOf(lines, failing.eventId).map((a) => a.ok)).toEqual([false, false, true]);
    // The later records were not attempted while the failing one failed.
    const recovered = attemptsOf(lines, failing.eventId)[2]?.at ?? 0;
    for (const later of events.slice(3)) {
      expect(attemptsOf(lines, later.eventId)[0]?.at).toBeGreaterThanOrEqual(recovered);
    }
    expect(lines.filter((l) => l.t === "attempt" && !mine.has(l.eventId))).toEqual([]);
    note(`partial-batch: MSK transient failure recovered after 3 invocations in ${ms} ms`);
  }, 90_000);

  it("MSK: a record that keeps failing goes to the dead-letters topic after its retries; the rest of the batch flows on", async () => {
    const events = await sixOnOnePartition("DeliveryScheduled", `o-${session.name}-poison`);
    const failing = events[2] as EventEnvelope;
    const { fn, journal } = probeFunction(
      probeLogDeclaration,
      "log",
      { [failing.eventId]: -1 },
      "msk-permanent",
    );
    await fn.warm();
    const t0 = Date.now();
    const poller = startLogPoller(fn, "delivery-events", "probe-msk-permanent");
    const lines = await session.waitFor(
      "the later records handled",
      async () => {
        const now = journal();
        return events.slice(3).every((e) => attemptsOf(now, e.eventId).some((a) => a.ok))
          ? now
          : undefined;
      },
      60_000,
    );
    const ms = since(t0);
    const maxRetries = (probeLogDeclaration.trigger as LogTrigger).maxRetries;
    expect(events.map((e) => attemptsOf(lines, e.eventId).length)).toEqual([
      1,
      1,
      1 + maxRetries,
      1,
      1,
      1,
    ]);
    expect(poller.deadLettered).toBe(1);

    const dead = (await readTopic(session, "dead-letters")).filter(
      (r) => r.headers.ce_id?.toString() === failing.eventId,
    );
    expect(dead).toHaveLength(1);
    const headers = headersOf(dead[0] as NonNullable<(typeof dead)[0]>);
    expect(headers).toMatchObject({
      [DLQ_FIELDS.code]: "RETRIES_EXHAUSTED",
      [DLQ_FIELDS.functionName]: "probe-log",
      [DLQ_FIELDS.topic]: session.topic("delivery-events"),
      ce_type: "DeliveryScheduled",
    });
    expect(headers[DLQ_FIELDS.reason]).toBeTruthy();
    note(
      `partial-batch: MSK poison dead-lettered after ${1 + maxRetries} attempts, rest handled, in ${ms} ms; reason "${headers[DLQ_FIELDS.reason]}"`,
    );
  }, 90_000);

  it("SQS: of a batch of five, only the failing message comes back, alone", async () => {
    const queue = session.resources.commandQueues.RegisterCustomerRequested;
    if (queue === undefined) throw new Error("no queue");
    const commands = Array.from({ length: 5 }, (_, i) =>
      createEvent("RegisterCustomerRequested", {
        customerId: `c-${session.name}-${i}`,
        name: `Customer ${i}`,
        email: `c${i}@example.com`,
      }),
    );
    const failing = commands[2] as EventEnvelope;
    const { fn, journal } = probeFunction(
      probeFastLaneDeclaration,
      "fast-lane",
      { [failing.eventId]: 1 },
      "sqs",
    );
    await fn.warm();
    await sendBodies(
      session,
      queue.url,
      commands.map((c) => fastLaneBody(c)),
    );
    const t0 = Date.now();
    const poller = new SqsPoller(
      session.sqs,
      fn,
      queue,
      probeFastLaneDeclaration.trigger as never,
      session.endpoints.region,
    );
    poller.start();
    stoppers.push(() => poller.stop());
    const lines = await session.waitFor(
      "every command handled",
      async () => {
        const now = journal();
        return commands.every((c) => attemptsOf(now, c.eventId).some((a) => a.ok))
          ? now
          : undefined;
      },
      60_000,
    );
    const ms = since(t0);
    const calls = invokes(lines).map((i) => [...i.items].sort());
    expect(calls).toEqual([commands.map((c) => c.eventId).sort(), [failing.eventId]]);
    expect(
      commands.map((c) => attemptsOf(lines, c.eventId).map((a) => `${a.item}:${a.ok}`)),
    ).toEqual([
      ["receive-1:true"],
      ["receive-1:true"],
      ["receive-1:false", "receive-2:true"],
      ["receive-1:true"],
      ["receive-1:true"],
    ]);
    await session.waitFor(
      "the queue empty",
      async () => (await queueDepth(session, queue.url)) === 0,
    );
    expect(await drainQueue(session, queue.dlq.url, 300)).toEqual([]);
    const ledger = session.ledger();
    for (const command of commands) {
      expect(await ledger.get(command.eventId)).toMatchObject({ status: "handled" });
    }
    note(`partial-batch: SQS batch of 5, the failing one redelivered alone after ${ms} ms`);
  }, 90_000);

  it("SQS: with concurrent batches (several pollers on one function, as the host runs every queue) each failure still comes back", async () => {
    const queue = session.resources.commandQueues.RegisterCustomerRequested;
    if (queue === undefined) throw new Error("no queue");
    const commands = Array.from({ length: 40 }, (_, i) =>
      createEvent("RegisterCustomerRequested", {
        customerId: `c-${session.name}-conc-${i}`,
        name: `Customer ${i}`,
        email: `conc${i}@example.com`,
      }),
    );
    // Every third command fails on its first attempt.
    const failing = commands.filter((_, i) => i % 3 === 0);
    const { fn, journal } = probeFunction(
      probeFastLaneDeclaration,
      "fast-lane",
      Object.fromEntries(failing.map((c) => [c.eventId, 1])),
      "sqs-concurrent",
      // Successes take a while and failures are immediate, so invocations overlap.
      { PROBE_DELAY_MS: "150" },
    );
    await fn.warm();
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      const poller = new SqsPoller(
        session.sqs,
        fn,
        queue,
        probeFastLaneDeclaration.trigger as never,
        session.endpoints.region,
      );
      poller.start();
      stoppers.push(() => poller.stop());
    }
    // Messages trickle in, so the pollers' batches start at different moments.
    for (let i = 0; i < commands.length; i += 2) {
      await sendBodies(
        session,
        queue.url,
        commands.slice(i, i + 2).map((c) => fastLaneBody(c)),
      );
      await new Promise((r) => setTimeout(r, 40));
    }
    let lines: ProbeLine[] = [];
    try {
      lines = await session.waitFor(
        "every command handled",
        async () => {
          const now = journal();
          return commands.every((c) => attemptsOf(now, c.eventId).some((a) => a.ok))
            ? now
            : undefined;
        },
        40_000,
      );
    } finally {
      const now = journal();
      const lost = failing.filter((c) => !attemptsOf(now, c.eventId).some((a) => a.ok));
      note(
        `partial-batch: concurrent SQS batches: ${invokes(now).length} invocations, ${lost.length} of ${failing.length} failed messages never came back`,
      );
    }
    const ms = since(t0);
    for (const command of failing) {
      expect(attemptsOf(lines, command.eventId).map((a) => a.ok)).toEqual([false, true]);
    }
    await session.waitFor(
      "the queue empty",
      async () => (await queueDepth(session, queue.url)) === 0,
    );
    expect(await drainQueue(session, queue.dlq.url, 300)).toEqual([]);
    note(
      `partial-batch: 40 messages over concurrent pollers, ${failing.length} failures retried, in ${ms} ms`,
    );
  }, 90_000);

  it("MSK: a failure report naming no record of the batch fails the whole batch (nothing committed unhandled)", async () => {
    const events = await sixOnOnePartition("OrderPlaced", `o-${session.name}-misreport`);
    const { fn, journal } = probeFunction(probeLogDeclaration, "log", {}, "msk-misreport", {
      PROBE_MISREPORT: "1",
    });
    await fn.warm();
    startLogPoller(fn, "order-events", "probe-msk-misreport");
    const lines = await session.waitFor(
      "every record handled",
      async () => {
        const now = journal();
        return events.every((e) => attemptsOf(now, e.eventId).some((a) => a.ok)) ? now : undefined;
      },
      30_000,
    );
    expect(events.map((e) => attemptsOf(lines, e.eventId).length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(invokes(lines).length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("SQS: a failure report naming no message of the batch fails the whole batch (nothing deleted unhandled)", async () => {
    const queue = session.resources.commandQueues.RegisterCustomerRequested;
    if (queue === undefined) throw new Error("no queue");
    const commands = Array.from({ length: 3 }, (_, i) =>
      createEvent("RegisterCustomerRequested", {
        customerId: `c-${session.name}-mis-${i}`,
        name: `Customer ${i}`,
        email: `mis${i}@example.com`,
      }),
    );
    const { fn, journal } = probeFunction(
      probeFastLaneDeclaration,
      "fast-lane",
      {},
      "sqs-misreport",
      { PROBE_MISREPORT: "1" },
    );
    await fn.warm();
    await sendBodies(
      session,
      queue.url,
      commands.map((c) => fastLaneBody(c)),
    );
    const poller = new SqsPoller(
      session.sqs,
      fn,
      queue,
      probeFastLaneDeclaration.trigger as never,
      session.endpoints.region,
    );
    poller.start();
    stoppers.push(() => poller.stop());
    const lines = await session.waitFor(
      "every command handled",
      async () => {
        const now = journal();
        return commands.every((c) => attemptsOf(now, c.eventId).some((a) => a.ok))
          ? now
          : undefined;
      },
      30_000,
    );
    expect(commands.map((c) => attemptsOf(lines, c.eventId).map((a) => a.item))).toEqual([
      ["receive-2"],
      ["receive-2"],
      ["receive-2"],
    ]);
  }, 60_000);

  it("SQS: the same message delivered again while its first delivery still runs is handled once", async () => {
    const queue = session.resources.commandQueues.RegisterCustomerRequested;
    if (queue === undefined) throw new Error("no queue");
    const command = createEvent("RegisterCustomerRequested", {
      customerId: `c-${session.name}-inflight`,
      name: "Slow",
      email: "slow@example.com",
    });
    // The handling outlasts the queue's visibility timeout (5 s), so SQS hands the message out
    // again to the second poller while the first invocation still runs.
    const { fn, journal } = probeFunction(
      probeFastLaneDeclaration,
      "fast-lane",
      {},
      "sqs-inflight",
      {
        PROBE_DELAY_MS: "7000",
      },
    );
    await fn.warm();
    const [messageId] = await sendBodies(session, queue.url, [fastLaneBody(command)]);
    const t0 = Date.now();
    const pollers = [0, 1].map(() => {
      const poller = new SqsPoller(
        session.sqs,
        fn,
        queue,
        probeFastLaneDeclaration.trigger as never,
        session.endpoints.region,
      );
      poller.start();
      stoppers.push(() => poller.stop());
      return poller;
    });
    const deliveriesOf = (lines: readonly ProbeLine[]) =>
      invokes(lines).filter((i) => i.items.includes(command.eventId));
    // The first delivery's delete (with its now stale receipt handle) removes the message on both
    // emulators (docs/local-parity.md, SQS), possibly before the second delivery has started its
    // invocation: wait for that invocation, then for both to finish (a stop waits them out).
    await session.waitFor(
      "the message delivered twice, handled, and gone",
      async () =>
        deliveriesOf(journal()).length >= 2 &&
        attemptsOf(journal(), command.eventId).some((a) => a.ok) &&
        (await queueDepth(session, queue.url)) === 0,
      60_000,
      250,
    );
    await Promise.all(pollers.map((p) => p.stop()));
    const ms = since(t0);
    const lines = journal();
    const deliveries = deliveriesOf(lines);
    expect(deliveries.length).toBeGreaterThanOrEqual(2);
    expect(attemptsOf(lines, command.eventId)).toHaveLength(1);
    expect(await drainQueue(session, queue.dlq.url, 300)).toEqual([]);
    expect(await session.ledger().get(command.eventId)).toMatchObject({ status: "handled" });
    note(
      `partial-batch: message ${messageId} delivered ${deliveries.length} times (redelivered while in flight), handled once, gone after ${ms} ms`,
    );
  }, 90_000);
});
