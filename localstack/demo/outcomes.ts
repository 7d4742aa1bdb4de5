import type { OrderSagaState, SagaStatus } from "../../functions/domain/order-saga.ts";
import type { LocalSession } from "../host/session.ts";
import { scanByPrefix } from "./scan.ts";

/**
 * How a run ended, read once from the system of record after the consumers settled: each order's
 * status from the `order-summary` read model and each saga's from the `sagas` table. The summary,
 * the invariant "every order terminal" and the per-design check all count from this one reading,
 * so their numbers agree.
 */

/** An order's end as the read model has it. */
export interface OrderEnd {
  readonly orderId: string;
  /** COMPLETED, CANCELLED, REJECTED, or whatever non-final status (or "none") it is stuck in. */
  readonly status: string;
  /** Why it was cancelled or rejected (code), when it was. */
  readonly code?: string;
}

export const FINAL_ORDER_STATUSES = ["COMPLETED", "CANCELLED", "REJECTED"] as const;

export interface RunOutcomes {
  /** Every order of the run (unique order ids), by id. */
  readonly orders: ReadonlyMap<string, OrderEnd>;
  /** Orders per final status, plus `notEnded`. */
  readonly orderCounts: Readonly<
    Record<(typeof FINAL_ORDER_STATUSES)[number] | "notEnded", number>
  >;
  /** Sagas per status: one saga per order that was placed (a rejected order starts none). */
  readonly sagaCounts: Readonly<Partial<Record<SagaStatus, number>>>;
  readonly sagas: number;
  /** Sagas that are not COMPLETED or CANCELLED, with the reason when FAILED. */
  readonly sagasNotEnded: readonly string[];
  /** Cancellations decided on the wall clock because our own lag held them too long. */
  readonly forcedCancellations: readonly string[];
}

/**
 * Reads how every order and saga of the run ended.
 *
 * @example
 * ```ts
 * const outcomes = await readOutcomes(session, uniqueOrderIds);
 * outcomes.orderCounts.COMPLETED; // from the order-summary read model
 * ```
 */
export async function readOutcomes(
  session: LocalSession,
  orderIds: readonly string[],
): Promise<RunOutcomes> {
  const readModels = session.readModels();
  const orders = new Map<string, OrderEnd>();
  const orderCounts = { COMPLETED: 0, CANCELLED: 0, REJECTED: 0, notEnded: 0 };
  for (const orderId of orderIds) {
    const summary = await readModels.get("order-summary", orderId);
    const status = (summary?.status as string | undefined) ?? "none";
    const code =
      (summary?.cancellation as { code?: string } | undefined)?.code ??
      (summary?.rejection as { code?: string } | undefined)?.code;
    orders.set(orderId, { orderId, status, ...(code === undefined ? {} : { code }) });
    if (status === "COMPLETED" || status === "CANCELLED" || status === "REJECTED") {
      orderCounts[status]++;
    } else {
      orderCounts.notEnded++;
    }
  }
  const wanted = new Set(orderIds);
  const sagas = [
    ...(
      await scanByPrefix<OrderSagaState>(
        session,
        session.resources.tables.sagas,
        "OrderFulfilment#",
      )
    ).values(),
  ].filter((saga) => wanted.has(saga.orderId));
  const sagaCounts: Partial<Record<SagaStatus, number>> = {};
  for (const saga of sagas) sagaCounts[saga.status] = (sagaCounts[saga.status] ?? 0) + 1;
  return {
    orders,
    orderCounts,
    sagaCounts,
    sagas: sagas.length,
    sagasNotEnded: sagas
      .filter((s) => s.status !== "COMPLETED" && s.status !== "CANCELLED")
      .map(
        (s) => `saga ${s.orderId}: ${s.status}${s.failureReason ? ` (${s.failureReason})` : ""}`,
      ),
    forcedCancellations: sagas
      .filter((s) => s.cancellation?.reason.includes("decided on the wall clock") === true)
      .map((s) => s.orderId),
  };
}
