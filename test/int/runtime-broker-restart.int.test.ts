/**
 * A Kafka broker restart mid-publish loses no acknowledged event.
 *
 * Several keys are published continuously through Duplex's publisher (acks=all, idempotent
 * producer), each key strictly one event after another; meanwhile a broker is killed (SIGKILL, a
 * crash) and started again — the only broker in single mode, the leader of most of the topic's
 * partitions in cluster mode (RF 3, min ISR 2). Afterwards every event whose publish resolved must
 * be in the topic in per-key order, publishing must work again, and the host's projector must have
 * applied everything in the topic once. The log itself is at least once (docs/architecture.md,
 * "State and events"): a send that failed although the broker wrote it (its answer lost with the
 * broker) is sent again by the publisher's retry, so an event may stand twice — but only right
 * behind itself, since each key publishes one event after another; the projector skips the repeat.
 *
 * THIS DISTURBS EVERYONE ON THE SHARED BROKER: keep it the only test in this file, run the file
 * alone and once. `DUPLEX_RESTART_HARD=0` restarts cleanly (SIGTERM) instead of killing;
 * `DUPLEX_RESTART_DRY_RUN=1` runs everything but the restart (to check the test itself).
 */
import { Admin } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvent } from "../../events/create.ts";
import type { AnyEvent } from "../../events/types.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { startBroker, stopBroker } from "../../localstack/stack/index.ts";
import { readState } from "../../localstack/stack/state.ts";
import { note, readEvents, since, waitForConsumers } from "../support/runtime-stack.ts";

const KEYS = 8;
const BEFORE_MS = 3_000;
const AFTER_MS = 4_000;
const HARD = process.env.DUPLEX_RESTART_HARD !== "0";
/** `DUPLEX_RESTART_DRY_RUN=1` checks the bookkeeping without touching the broker. */
const DRY_RUN = process.env.DUPLEX_RESTART_DRY_RUN === "1";

let session: LocalSession;

beforeAll(async () => {
  const started = Date.now();
  session = await LocalSession.start({
    functions: ["inventory-levels-projector"],
    settings: { logLevel: "WARN" },
  });
  note(`broker-restart: session ${session.name} up in ${since(started)} ms`);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

/** The broker to restart: the only one, or the leader of most partitions of `topic`. */
async function brokerToRestart(topic: string, brokerCount: number): Promise<number> {
  if (brokerCount === 1) return 1;
  const admin = new Admin({
    clientId: `${session.name}-leaders`,
    bootstrapBrokers: session.endpoints.kafkaBrokers,
  });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const leaders = new Map<number, number>();
    for (const partition of metadata.topics.get(topic)?.partitions ?? []) {
      leaders.set(partition.leader, (leaders.get(partition.leader) ?? 0) + 1);
    }
    const [leader] = [...leaders].sort((a, b) => b[1] - a[1])[0] ?? [1];
    return leader;
  } finally {
    await admin.close();
  }
}

interface Outcome {
  readonly key: string;
  readonly seq: number;
  readonly eventId: string;
  readonly sentAt: number;
  settledAt?: number;
  acked?: boolean;
  error?: string;
}

describe("Kafka broker restart mid-publish", () => {
  it("loses no acknowledged event; order per key holds; publishing and consuming resume", async () => {
    const state = readState();
    const brokerCount = state?.brokerCount ?? 1;
    const topic = session.topic("inventory-events");
    const broker = await brokerToRestart(topic, brokerCount);
    const productIds = Array.from({ length: KEYS }, (_, i) => `p-${session.name}-${i}`);
    const outcomes: Outcome[] = [];
    let publishing = true;

    const t0 = Date.now();
    const loops = productIds.map(async (productId) => {
      for (let seq = 1; publishing; seq++) {
        const event = createEvent("ProductRestocked", {
          productId,
          name: `seq ${seq}`,
          unitPriceCents: 100,
          quantity: seq,
        });
        const outcome: Outcome = {
          key: productId,
          seq,
          eventId: event.eventId,
          sentAt: Date.now(),
        };
        outcomes.push(outcome);
        try {
          await session.publish([event]);
          outcome.acked = true;
        } catch (error) {
          outcome.acked = false;
          outcome.error =
            (error as Error).cause instanceof Error
              ? `${(error as Error).message}: ${((error as Error).cause as Error).message}`
              : (error as Error).message;
          await new Promise((r) => setTimeout(r, 200));
        }
        outcome.settledAt = Date.now();
        await new Promise((r) => setTimeout(r, 10));
      }
    });

    await new Promise((r) => setTimeout(r, BEFORE_MS));
    const stopAt = Date.now();
    if (!DRY_RUN) await stopBroker(broker, { hard: HARD });
    const stoppedMs = since(stopAt);
    const startAt = Date.now();
    if (!DRY_RUN) await startBroker(broker);
    const outageMs = since(stopAt);
    note(
      `broker-restart: ${brokerCount === 1 ? "single" : "cluster"} mode, broker ${broker} ${HARD ? "killed" : "stopped"} in ${stoppedMs} ms, back after ${since(startAt)} ms (outage ${outageMs} ms)`,
    );
    // Publishing must resume: wait for an acknowledged publish sent after the broker came back.
    const backAt = Date.now();
    await session.waitFor(
      "a publish acknowledged after the restart",
      async () => outcomes.some((o) => o.acked === true && o.sentAt >= backAt),
      90_000,
      100,
    );
    const resumedMs = since(backAt);
    await new Promise((r) => setTimeout(r, AFTER_MS));
    publishing = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(loops),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `publishes still pending 60 s after the end: ${outcomes
                  .filter((o) => o.acked === undefined)
                  .map((o) => `${o.key}#${o.seq}`)
                  .join(", ")}`,
              ),
            ),
          60_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));

    const acked = outcomes.filter((o) => o.acked);
    const failed = outcomes.filter((o) => o.acked === false);
    const onLog: AnyEvent[] = (await readEvents(session, "inventory-events")).filter((e) =>
      productIds.includes(e.aggregateId),
    );
    const logged = new Map<string, number>();
    for (const event of onLog) logged.set(event.eventId, (logged.get(event.eventId) ?? 0) + 1);

    // Everything is measured first and reported, then asserted (this test runs once).
    const missing = acked.filter((o) => !logged.has(o.eventId)).map((o) => `${o.key}#${o.seq}`);
    const duplicated = [...logged].filter(([, n]) => n > 1).map(([id]) => id);
    // A retried send repeats its event right behind the first copy; a repeat anywhere else, or a
    // later event before an earlier one, breaks per-key order.
    const outOfOrder = productIds.filter((productId) => {
      const ids = onLog.filter((e) => e.aggregateId === productId);
      const runs = ids.filter((e, i) => i === 0 || e.eventId !== ids[i - 1]?.eventId);
      const seqs = runs.map((e) => (e.data as { quantity: number }).quantity);
      return seqs.some((seq, i) => i > 0 && seq <= (seqs[i - 1] ?? 0));
    });
    const failedButLogged = failed.filter((o) => logged.has(o.eventId)).length;
    const errors = [...new Set(failed.map((o) => o.error))];
    note(
      `broker-restart: ${outcomes.length} publishes in ${since(t0)} ms: ${acked.length} acknowledged, ${failed.length} failed (${failedButLogged} of those in the log anyway); publishing resumed ${resumedMs} ms after the broker was back; acknowledged but missing: ${missing.length}, duplicated: ${duplicated.length}, keys out of order: ${outOfOrder.length}; errors: ${errors.slice(0, 3).join(" | ") || "none"}`,
    );

    // The projector in the host came through the restart and applied everything in the log, once.
    const caughtUpAt = Date.now();
    let projected: string[] = [];
    try {
      await waitForConsumers(session, "inventory-events", 120_000);
      const readModels = session.readModels();
      for (const productId of productIds) {
        const expected = [...new Map(onLog.map((e) => [e.eventId, e])).values()]
          .filter((e) => e.aggregateId === productId)
          .reduce((n, e) => n + (e.data as { quantity: number }).quantity, 0);
        const view = await readModels.get("inventory-levels", productId);
        if ((view?.restocked ?? 0) !== expected) {
          projected.push(`${productId}: ${String(view?.restocked)} ≠ ${expected}`);
        }
      }
    } catch (error) {
      projected = [`not caught up: ${(error as Error).message}`];
    } finally {
      const pollers = (session.host?.logPollers ?? []).map(
        (p) => `${p.groupId} running=${p.running} lastError=${p.lastError ?? "-"}`,
      );
      note(
        `broker-restart: projector ${projected.length === 0 ? `caught up in ${since(caughtUpAt)} ms, every product exact` : projected.join("; ")}; pollers: ${pollers.join("; ")}`,
      );
    }

    // Every acknowledged event is in the log in per-key order (a repeat only right behind itself);
    // the projector applied each event once.
    expect(missing).toEqual([]);
    expect(outOfOrder).toEqual([]);
    expect(projected).toEqual([]);
  }, 300_000);
});
