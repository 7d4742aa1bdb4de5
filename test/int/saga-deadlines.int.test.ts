/**
 * Saga deadlines in stream time, on the real local stack: our own lag is never the step's silence.
 * The backlogs are made deterministic through the host (a paused consumer group, a paused
 * handler) and last several times the payment step's timeout, so on wall-clock deadlines every
 * order of the burst would be cancelled. With deadlines in stream time they all complete; a
 * payment that never answers still times out; a consumer stalled past the grace no longer holds
 * deadlines (degraded mode, logged and counted) and stock and money stay conserved.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrderSagaState } from "../../functions/domain/order-saga.ts";
import type { PaymentState } from "../../functions/domain/payments.ts";
import type { ProductState } from "../../functions/domain/products.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { note, placeOrder, seedCustomerAndProduct, since } from "../support/runtime-stack.ts";
import { tempDir } from "../support/temp-dirs.ts";

const PAYMENT_TIMEOUT_SECONDS = 3;
/** How long each backlog lasts: several payment timeouts. */
const BACKLOG_MS = 4 * PAYMENT_TIMEOUT_SECONDS * 1000;
const BURST = 20;
/** Generous: a busy 2-core machine runs a burst of 20 orders in minutes, not seconds. */
const WAIT_MS = 300_000;
const sagaEnv = {
  DUPLEX_SAGA_PAYMENT_TIMEOUT_SECONDS: String(PAYMENT_TIMEOUT_SECONDS),
  DUPLEX_SAGA_INVENTORY_TIMEOUT_SECONDS: "30",
  DUPLEX_SAGA_DELIVERY_TIMEOUT_SECONDS: "30",
  DUPLEX_SAGA_STEP_TIMEOUT_SECONDS: "30",
  // Long: the pauses below are our lag, not a stall (the last test shortens it).
  DUPLEX_SAGA_STALL_GRACE_SECONDS: "600",
};
const logDir = tempDir("duplex-saga-deadlines-");
let session: LocalSession;
let seed: { customerId: string; productId: string };
const STOCK = 500;
const placedIds: string[] = [];

beforeAll(async () => {
  const started = Date.now();
  session = await LocalSession.start({
    settings: { fastLaneDeadlineSeconds: 30, logLevel: "INFO" },
    functionEnv: { "order-saga": sagaEnv, "saga-sweeper": sagaEnv },
    logDir,
  });
  seed = await seedCustomerAndProduct(session, { stock: STOCK, unitPriceCents: 1_000 });
  note(`saga deadlines: session ${session.name} up and seeded in ${since(started)} ms`);
  // Fourteen functions and their consumers on a shared 2-core machine.
}, 600_000);

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function host() {
  if (session.host === undefined) throw new Error("no functions host");
  return session.host;
}

/** The saga's consumer group on one of its input topics. */
function sagaGroup(topic: string): string {
  const consumer = host()
    .consumers()
    .find((c) => c.functionName === "order-saga" && c.topic === session.topic(topic));
  if (consumer === undefined) throw new Error(`the saga does not read ${topic}`);
  return consumer.groupId;
}

function orders(label: string, count: number, paymentToken = "tok_visa") {
  return Array.from({ length: count }, (_, i) =>
    placeOrder(seed, `o-${session.name}-${label}-${i}`, { quantity: 2, paymentToken }),
  );
}

async function place(commands: ReturnType<typeof orders>) {
  placedIds.push(...commands.map((c) => c.data.orderId));
  await session.publish(commands);
}

async function sagas(orderIds: readonly string[]): Promise<OrderSagaState[]> {
  const loaded = await session.store("sagas").loadMany(
    orderIds.map((id) => `OrderFulfilment#${id}`),
    null as OrderSagaState | null,
  );
  return [...loaded.values()].flatMap((s) => (s.state === null ? [] : [s.state]));
}

async function payments(orderIds: readonly string[]): Promise<PaymentState[]> {
  const loaded = await session.store("aggregates").loadMany(
    orderIds.map((id) => `Payment#${id}`),
    null as PaymentState | null,
  );
  return [...loaded.values()].flatMap((s) => (s.state === null ? [] : [s.state]));
}

async function statuses(orderIds: readonly string[]): Promise<Record<string, number>> {
  const readModels = session.readModels();
  const counts: Record<string, number> = {};
  for (const id of orderIds) {
    const status = String((await readModels.get("order-summary", id))?.status ?? "none");
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

/** Waits until every order has ended (whichever way), then counts them per status. */
async function ended(orderIds: readonly string[]): Promise<Record<string, number>> {
  await Promise.all(
    orderIds.map((id) =>
      session.waitFor(
        `order ${id} to end`,
        async () => {
          const status = (await session.readModels().get("order-summary", id))?.status;
          return status === "COMPLETED" || status === "CANCELLED" || status === "REJECTED";
        },
        WAIT_MS,
        500,
      ),
    ),
  );
  return statuses(orderIds);
}

// Each test waits out several payment timeouts on purpose, then for a burst to drain.
describe("saga deadlines in stream time", { timeout: 900_000 }, () => {
  it("a burst whose payment answers wait behind a paused saga consumer: every order completes", async () => {
    const burst = orders("answers", BURST);
    const ids = burst.map((c) => c.data.orderId);
    const group = sagaGroup("payment-events");
    expect(await host().pauseConsumer(group)).toBe(true);
    const t0 = Date.now();
    try {
      await place(burst);
      // Every payment is handled: the answers are in the log, the saga has not read them.
      await session.waitFor(
        "every payment of the burst to be handled",
        async () => (await payments(ids)).filter((p) => p.status !== "none").length === BURST,
        WAIT_MS,
        500,
      );
      note(`answers: every payment handled after ${since(t0)} ms; the saga has not read them`);
      await sleep(BACKLOG_MS);
      // Long past every wall-clock deadline, the sagas still wait: their deadlines are held.
      const waiting = await sagas(ids);
      expect(waiting.map((s) => s.status)).toEqual(Array(BURST).fill("PAYING"));
      const wallClockDeadlines = waiting.map((s) => Date.parse(s.deadlineAt ?? ""));
      expect(Math.max(...wallClockDeadlines)).toBeLessThan(Date.now() - BACKLOG_MS / 2);
    } finally {
      host().resumeConsumer(group);
    }
    expect(await ended(ids)).toEqual({ COMPLETED: BURST });
    note(`answers behind a paused consumer: ${BURST} orders completed in ${since(t0)} ms`);
  });

  it("a burst whose payment commands wait in a paused handler's queue: every order completes", async () => {
    const burst = orders("commands", BURST);
    const ids = burst.map((c) => c.data.orderId);
    await host().pauseTriggers("payment-commands");
    const t0 = Date.now();
    try {
      await place(burst);
      await session.waitFor(
        "every saga of the burst to have asked for its payment",
        async () => (await sagas(ids)).filter((s) => s.status !== "RESERVING").length === BURST,
        WAIT_MS,
        500,
      );
      note(`commands: every saga asked for its payment after ${since(t0)} ms`);
      await sleep(BACKLOG_MS);
      const waiting = await sagas(ids);
      expect(waiting.map((s) => s.status)).toEqual(Array(BURST).fill("PAYING"));
      // Not handled: the step's clock has not started.
      expect(waiting.every((s) => s.step?.commandId !== undefined && !s.step.handledAt)).toBe(true);
    } finally {
      host().resumeTriggers("payment-commands");
    }
    expect(await ended(ids)).toEqual({ COMPLETED: BURST });
    note(`commands behind a paused handler: ${BURST} orders completed in ${since(t0)} ms`);
  });

  it("a payment that never answers still times out and is compensated, backlog or not", async () => {
    const silent = orders("silent", 3, "tok_no_answer");
    const fine = orders("fine", 3);
    const group = sagaGroup("payment-events");
    await host().pauseConsumer(group);
    try {
      await place([...silent, ...fine]);
      await session.waitFor(
        "the payments to be handled",
        async () => (await payments([...silent, ...fine].map((c) => c.data.orderId))).length === 6,
        WAIT_MS,
        500,
      );
      await sleep(BACKLOG_MS);
    } finally {
      host().resumeConsumer(group);
    }
    expect(await ended(silent.map((c) => c.data.orderId))).toEqual({ CANCELLED: 3 });
    expect(await ended(fine.map((c) => c.data.orderId))).toEqual({ COMPLETED: 3 });
    const readModels = session.readModels();
    for (const { data } of silent) {
      expect(await readModels.get("order-summary", data.orderId)).toMatchObject({
        cancellation: {
          code: "PAYMENT_TIMEOUT",
          reason: expect.stringMatching(/^payment did not answer for order .* within 3000 ms$/),
        },
        inventory: "RELEASED",
      });
    }
    const silentPayments = await payments(silent.map((c) => c.data.orderId));
    expect(silentPayments.map((p) => p.status)).toEqual(["pending", "pending", "pending"]);
  });

  it("a saga consumer stalled past the grace: deadlines fire on the wall clock, alarmed, invariants hold", async () => {
    const graceSeconds = 5;
    await host().redeploy("saga-sweeper", {
      DUPLEX_SAGA_STALL_GRACE_SECONDS: String(graceSeconds),
    });
    const stalled = orders("stalled", 3);
    const ids = stalled.map((c) => c.data.orderId);
    const group = sagaGroup("payment-events");
    await host().pauseConsumer(group);
    try {
      await place(stalled);
      // The payments are captured, the saga cannot read them: after the grace, its payment
      // deadlines are decided on the wall clock.
      expect(await ended(ids)).toEqual({ CANCELLED: 3 });
    } finally {
      host().resumeConsumer(group);
      await host().redeploy("saga-sweeper", { DUPLEX_SAGA_STALL_GRACE_SECONDS: "600" });
    }
    const readModels = session.readModels();
    for (const id of ids) {
      const summary = await readModels.get("order-summary", id);
      expect(summary?.cancellation).toMatchObject({
        code: "PAYMENT_TIMEOUT",
        reason: expect.stringContaining(
          "decided on the wall clock: the saga's input consumers were stalled",
        ),
      });
    }
    // The late captures are refunded once the saga reads them again: money is conserved.
    await session.waitFor(
      "the late captures to be refunded",
      async () => (await payments(ids)).every((p) => p.status === "refunded"),
      WAIT_MS,
      500,
    );

    // Never silent: a warning per order naming the reason, and the metric the alarm watches.
    const lines = readFileSync(join(logDir, "saga-sweeper.log"), "utf8")
      .split("\n")
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
    const warnings = lines.filter(
      (l) => l.message === "saga deadline decided on the wall clock (degraded mode)",
    );
    for (const id of ids) {
      expect(warnings.find((w) => w.orderId === id)).toMatchObject({
        level: "WARN",
        reason: "INPUTS_STALLED",
        deadlineKind: "PAYMENT",
        stalledInputs: expect.arrayContaining([expect.stringMatching(/^payment-events\/\d+$/)]),
      });
    }
    const forced = lines.reduce((n, l) => n + Number(l.SagaDeadlinesForced ?? 0), 0);
    expect(forced).toBeGreaterThanOrEqual(ids.length);
  });

  it("stock and money balance over every order of the file", async () => {
    await session.settle();
    const product = await session
      .store("aggregates")
      .load<ProductState | null>(`Product#${seed.productId}`, null);
    const state = product.state as ProductState;
    expect(state.reserved).toBe(0);
    expect(state.available + state.shipped).toBe(STOCK);
    const ended = await statuses(placedIds);
    const all = await payments(placedIds);
    const cents = (wanted: readonly string[]) =>
      all.reduce(
        (n, p) => n + (wanted.includes(p.status) && "amountCents" in p ? p.amountCents : 0),
        0,
      );
    const captured = cents(["captured", "refunded"]);
    const refunded = cents(["refunded"]);
    // Each order is 2 units at 10.00.
    expect(captured - refunded).toBe((ended.COMPLETED ?? 0) * 2_000);
    expect(state.shipped).toBe((ended.COMPLETED ?? 0) * 2);
    note(
      `stock and money: ${placedIds.length} orders, ${JSON.stringify(ended)}, ${state.shipped} units shipped`,
    );
  });
});
