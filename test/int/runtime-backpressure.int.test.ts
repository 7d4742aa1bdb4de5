/**
 * Back-pressure in the local host, through its own wiring (FunctionHost builds the pollers and
 * environments from the declarations), with probe functions (real kit handlers that journal every
 * invocation and attempt, see test/support/runtime-probe.ts) on the real stack:
 * - SQS: a fast-lane function gets one poller per execution environment, so it never receives a
 *   message no environment can take: with one environment and handling slower than the queue's
 *   visibility timeout, every message is still received exactly once (none burns a receive);
 * - MSK: while the function's environments are busy, the batches of several partitions wait and
 *   then go in one invocation; order per partition holds, and a failure in one partition retries
 *   that partition only.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createEvent } from "../../events/create.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { defineFunction, type FunctionDeclaration } from "../../functions/kit/declarations.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import type { ProbeLine } from "../support/runtime-probe.ts";
import {
  probeFastLaneDeclaration,
  probeLogDeclaration,
  readJournal,
} from "../support/runtime-probe.ts";
import {
  drainQueue,
  fastLaneBody,
  note,
  queueDepth,
  sendBodies,
  since,
} from "../support/runtime-stack.ts";
import { sampleEvent } from "../support/samples.ts";
import { tempDir } from "../support/temp-dirs.ts";

let session: LocalSession | undefined;

afterEach(async () => {
  await session?.stop({ deleteTopics: true });
  session = undefined;
});

/** A session whose host runs only `declaration`, a probe journaling to a fresh file. */
async function probeSession(
  declaration: FunctionDeclaration,
  kind: "log" | "fast-lane",
  env: Record<string, string>,
) {
  const journal = join(tempDir("duplex-backpressure-"), "journal.jsonl");
  session = await LocalSession.start({
    declarations: [declaration],
    settings: { logLevel: "WARN" },
    functionEnv: {
      [declaration.name]: { PROBE_KIND: kind, PROBE_JOURNAL: journal, PROBE_FAIL: "{}", ...env },
    },
  });
  return { session, journal: () => readJournal(journal) };
}

const attempts = (lines: readonly ProbeLine[]) =>
  lines.filter((l): l is Extract<ProbeLine, { t: "attempt" }> => l.t === "attempt");
const invokes = (lines: readonly ProbeLine[]) =>
  lines.filter((l): l is Extract<ProbeLine, { t: "invoke" }> => l.t === "invoke");

describe("back-pressure in the local host", () => {
  it("SQS: one environment → one poller; a message is received only when it can be handled", async () => {
    const probe = defineFunction({
      ...probeFastLaneDeclaration,
      name: "probe-backpressure-sqs",
      trigger: { ...probeFastLaneDeclaration.trigger, batchSize: 1 } as never,
      concurrency: { reserved: 2, localMin: 1, localMax: 1 },
    });
    // Each command takes longer than the queue's visibility timeout (5 s locally): a poller
    // holding a second message while the only environment is busy would see it reappear.
    const { session, journal } = await probeSession(probe, "fast-lane", { PROBE_DELAY_MS: "6000" });
    const host = session.host;
    if (host === undefined) throw new Error("no host");
    expect(host.sqsPollers.filter((p) => p.functionName === probe.name)).toHaveLength(1);
    const queue = session.resources.commandQueues.RegisterCustomerRequested;
    if (queue === undefined) throw new Error("no queue");
    const commands = Array.from({ length: 3 }, (_, i) =>
      createEvent("RegisterCustomerRequested", {
        customerId: `c-${session.name}-${i}`,
        name: `Slow ${i}`,
        email: `slow${i}@example.com`,
      }),
    );
    const t0 = Date.now();
    await sendBodies(
      session,
      queue.url,
      commands.map((c) => fastLaneBody(c)),
    );
    await session.waitFor(
      "every command handled and the queue empty",
      async () => {
        const lines = attempts(journal());
        return (
          commands.every((c) => lines.some((a) => a.eventId === c.eventId && a.ok)) &&
          (await queueDepth(session, queue.url)) === 0
        );
      },
      120_000,
      500,
    );
    const lines = journal();
    // Each message was received once: its only attempt saw receive count 1.
    expect(commands.map((c) => attempts(lines).filter((a) => a.eventId === c.eventId))).toEqual(
      commands.map((c) => [expect.objectContaining({ eventId: c.eventId, item: "receive-1" })]),
    );
    expect(invokes(lines)).toHaveLength(3);
    expect(await drainQueue(session, queue.dlq.url, 300)).toEqual([]);
    note(
      `backpressure: 3 slow commands through 1 environment, each received once, ${since(t0)} ms`,
    );
  }, 240_000);

  it("MSK: busy environments → the waiting partitions share one invocation; a failure retries its partition only", async () => {
    const probe = defineFunction({
      ...probeLogDeclaration,
      name: "probe-backpressure-log",
      concurrency: { reserved: 12, localMin: 1, localMax: 1 },
    });
    const first = sampleEvent("OrderPlaced", { orderId: `o-first-${Date.now()}` });
    // Aggregates on different partitions (the key decides), so their batches are separate.
    const later: EventEnvelope[] = Array.from({ length: 8 }, (_, i) =>
      sampleEvent("OrderPlaced", { orderId: `o-later-${i}-${Date.now()}` }),
    );
    const failing = later[3] as EventEnvelope;
    const { session, journal } = await probeSession(probe, "log", {
      // The first record keeps the only environment busy while the others arrive.
      PROBE_DELAY_MS: "3000",
      PROBE_FAIL: JSON.stringify({ [failing.eventId]: 1 }),
    });
    await session.publish([first]);
    await session.waitFor(
      "the first invocation",
      async () => invokes(journal()).length > 0,
      60_000,
    );
    await session.publish(later);
    const all = [first, ...later];
    const lines = await session.waitFor(
      "every record handled",
      async () => {
        const now = journal();
        return all.every((e) => attempts(now).some((a) => a.eventId === e.eventId && a.ok))
          ? now
          : undefined;
      },
      120_000,
      500,
    );
    const itemOf = (e: EventEnvelope) =>
      attempts(lines).find((a) => a.eventId === e.eventId)?.item ?? "";
    const partitionOf = (item: string) => item.split("-").slice(-2, -1)[0];
    const laterItems = new Set(later.map(itemOf));
    const carrying = invokes(lines).filter((i) => i.items.some((item) => laterItems.has(item)));
    // Fewer invocations than partitions: the waiting batches went together.
    const partitions = new Set([...laterItems].map(partitionOf));
    expect(partitions.size).toBeGreaterThan(1);
    expect(
      carrying.some((i) => new Set(i.items.map(partitionOf)).size > 1),
      JSON.stringify(carrying),
    ).toBe(true);
    // Every record once, but the failing one twice; its retry carried only its partition.
    for (const e of later) {
      expect(attempts(lines).filter((a) => a.eventId === e.eventId)).toHaveLength(
        e === failing ? 2 : 1,
      );
    }
    const [, retry] = carrying.filter((i) => i.items.includes(itemOf(failing)));
    expect(retry).toBeDefined();
    expect(retry?.items.map(partitionOf)).toEqual(
      retry?.items.map(() => partitionOf(itemOf(failing))),
    );
    note(
      `backpressure: ${later.length} records on ${partitions.size} partitions in ${carrying.length} invocations`,
    );
  }, 240_000);
});
