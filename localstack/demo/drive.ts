import type { EventEnvelope } from "../../events/envelope.ts";
import type { LocalSession, SessionOptions } from "../host/session.ts";
import type { RunMonitor, TerminalStatus } from "./monitor.ts";
import type { Workload } from "./workload.ts";

/**
 * Driving the order-fulfilment workload through a session: the demo (`npm start`) and the
 * capacity bench do it the same way.
 */

/** The saga's timeouts for the demo (shorter than production's), and the grace of our own lag. */
export const demoSagaEnv = {
  // A payment that never answers is compensated 15 s after it was handled instead of a minute.
  // Deadlines are judged in stream time (docs/architecture.md), so a burst that queues commands
  // or answers changes no outcome however slow the machine.
  DUPLEX_SAGA_PAYMENT_TIMEOUT_SECONDS: "15",
  DUPLEX_SAGA_INVENTORY_TIMEOUT_SECONDS: "60",
  DUPLEX_SAGA_DELIVERY_TIMEOUT_SECONDS: "60",
  DUPLEX_SAGA_STEP_TIMEOUT_SECONDS: "60",
  // Our own lag holds a deadline for at most this long: a saga consumer without progress (or a
  // command never handled) for 5 minutes is decided on the wall clock.
  DUPLEX_SAGA_STALL_GRACE_SECONDS: "300",
};

/**
 * The session settings of the demo: short local deadlines so a lost fast-lane command or a
 * payment that never answers is dealt with in seconds.
 */
export const demoSessionOptions = {
  settings: { fastLaneDeadlineSeconds: 10, outboxGraceSeconds: 5, logLevel: "WARN" },
  functionEnv: { "order-saga": demoSagaEnv, "saga-sweeper": demoSagaEnv },
} as const satisfies SessionOptions;

/** Registers the workload's customers and restocks its products, and waits until both are seen. */
export async function seedWorkload(
  session: LocalSession,
  workload: Workload,
  timeoutMs = 60_000,
): Promise<void> {
  await session.publish([...workload.customers, ...workload.restocks]);
  await waitForSeeding(session, workload, timeoutMs);
}

/** Waits until the read models know every customer and product the workload registered. */
export async function waitForSeeding(
  session: LocalSession,
  workload: Workload,
  timeoutMs: number,
): Promise<void> {
  const readModels = session.readModels();
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
    timeoutMs,
    250,
  );
}

/** How orders are placed: straight onto the log and the fast lane, or through the HTTP API. */
export type PlaceCommands = (commands: readonly EventEnvelope[]) => Promise<void>;

/**
 * Places the workload's orders at `rate` per second (a storefront's traffic), or in bursts of 25
 * with rate 0, then the duplicates once the orders they copy have been placed (waiting up to
 * `timeoutMs` for those).
 */
export async function placeOrders(
  session: LocalSession,
  workload: Workload,
  rate: number,
  place: PlaceCommands = async (commands) => {
    await session.publish(commands);
  },
  timeoutMs = 60_000,
): Promise<void> {
  const firsts = workload.orders.filter((o) => o.designed !== "rejected-duplicate-order");
  const duplicates = workload.orders.filter((o) => o.designed === "rejected-duplicate-order");
  const started = Date.now();
  const perTick = rate === 0 ? 25 : Math.max(1, Math.round(rate));
  const tickMs = rate === 0 ? 0 : (1000 * perTick) / rate;
  for (let i = 0; i < firsts.length; i += perTick) {
    const due = started + (i / perTick) * tickMs;
    if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
    await place(firsts.slice(i, i + perTick).map((o) => o.command));
  }
  if (duplicates.length === 0) return;
  // A duplicate must come after the order it copies has been placed, or it would be the original.
  const readModels = session.readModels();
  await session.waitFor(
    "the duplicated orders to be placed",
    async () => {
      for (const d of duplicates) {
        if ((await readModels.get("order-summary", d.orderId)) === undefined) return false;
      }
      return true;
    },
    timeoutMs,
    250,
  );
  await place(duplicates.map((o) => o.command));
}

/**
 * Waits until every order has ended (as the log tells the monitor), or until `deadline` (epoch
 * ms). Returns the terminal status of each order that ended.
 */
export async function awaitOrders(
  monitor: RunMonitor,
  orderIds: readonly string[],
  deadline: number,
): Promise<Map<string, TerminalStatus>> {
  const statuses = new Map<string, TerminalStatus>();
  const pending = new Set(orderIds);
  while (Date.now() < deadline) {
    for (const orderId of pending) {
      const status = monitor.terminalStatus(orderId);
      if (status === undefined) continue;
      statuses.set(orderId, status);
      pending.delete(orderId);
    }
    if (pending.size === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return statuses;
}
