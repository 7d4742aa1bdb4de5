import { customerOrdersProjection } from "../../functions/customer-orders-projector/projection.ts";
import type { OrderState } from "../../functions/domain/orders.ts";
import type { PaymentState } from "../../functions/domain/payments.ts";
import type { ProductState } from "../../functions/domain/products.ts";
import { inventoryLevelsProjection } from "../../functions/inventory-levels-projector/projection.ts";
import type { Projection } from "../../functions/kit/projector.ts";
import { compareVersions, rebuildProjection } from "../../functions/kit/rebuild.ts";
import { orderSummaryProjection } from "../../functions/order-summary-projector/projection.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import {
  salesAnalyticsProjection,
  TOTALS,
} from "../../functions/sales-analytics-projector/projection.ts";
import type { LocalSession } from "../host/session.ts";
import type { RunOutcomes } from "./outcomes.ts";
import { FINAL_ORDER_STATUSES } from "./outcomes.ts";
import { scanByPrefix } from "./scan.ts";

/**
 * The invariants of an order-fulfilment run, checked against what the system holds (aggregates,
 * sagas, read models) and against the log itself (read models rebuilt from offset 0).
 */
export interface InvariantResult {
  readonly name: string;
  readonly ok: boolean;
  /** One line for the summary. */
  readonly detail: string;
  /** The offending ids, at most a few. */
  readonly examples: readonly string[];
}

export const projections: readonly Projection[] = [
  orderSummaryProjection,
  inventoryLevelsProjection,
  customerOrdersProjection,
  salesAnalyticsProjection,
];

const result = (
  name: string,
  problems: string[],
  okDetail: string,
  badDetail: string,
): InvariantResult => ({
  name,
  ok: problems.length === 0,
  detail: problems.length === 0 ? okDetail : `${badDetail} (${problems.length})`,
  examples: problems.slice(0, 5),
});

/**
 * Every order is in a terminal state (completed, cancelled or rejected) and every saga has ended,
 * as read once by {@link readOutcomes}.
 */
export function everyOrderTerminal(outcomes: RunOutcomes): InvariantResult {
  const { orderCounts: o, sagaCounts: s } = outcomes;
  const problems = [
    ...[...outcomes.orders.values()]
      .filter((order) => !(FINAL_ORDER_STATUSES as readonly string[]).includes(order.status))
      .map((order) => `${order.orderId}: ${order.status === "none" ? "no summary" : order.status}`),
    ...outcomes.sagasNotEnded,
  ];
  return result(
    "every order reached a terminal state",
    problems,
    `${outcomes.orders.size} orders: ${o.COMPLETED} completed, ${o.CANCELLED} cancelled, ${o.REJECTED} rejected; ${outcomes.sagas} sagas (one per placed order) ended: ${s.COMPLETED ?? 0} completed, ${s.CANCELLED ?? 0} cancelled`,
    "orders or sagas not terminal",
  );
}

/** Per product: units restocked = available + reserved + shipped, in the aggregates and in the read model. */
export async function stockConserved(
  session: LocalSession,
  initialStock: ReadonlyMap<string, number>,
  options: InFlightOptions = {},
): Promise<InvariantResult> {
  const problems: string[] = [];
  const products = await scanByPrefix<ProductState>(
    session,
    session.resources.tables.aggregates,
    "Product#",
  );
  const readModels = session.readModels();
  let reservedLeft = 0;
  for (const [productId, initial] of initialStock) {
    const state = products.get(productId);
    const sum = (state?.available ?? 0) + (state?.reserved ?? 0) + (state?.shipped ?? 0);
    if (sum !== initial)
      problems.push(`${productId}: ${initial} restocked, aggregate holds ${sum}`);
    reservedLeft += state?.reserved ?? 0;
    const level = await readModels.get("inventory-levels", productId);
    const viewSum =
      Number(level?.available ?? 0) + Number(level?.reserved ?? 0) + Number(level?.shipped ?? 0);
    if (viewSum !== initial)
      problems.push(`${productId}: ${initial} restocked, read model holds ${viewSum}`);
    if (
      state !== undefined &&
      level !== undefined &&
      (state.available !== level.available || state.shipped !== level.shipped)
    ) {
      problems.push(`${productId}: aggregate and read model disagree`);
    }
  }
  // Units reserved for orders still running when a run was stopped early are not left over.
  if (reservedLeft !== 0 && options.stoppedEarly !== true)
    problems.push(`${reservedLeft} unit(s) still reserved after every order ended`);
  const shipped = [...products.values()].reduce((n, p) => n + p.shipped, 0);
  return result(
    "stock is conserved (restocked = available + reserved + shipped)",
    problems,
    `${initialStock.size} products balance; ${shipped} units shipped, ${reservedLeft} reserved${options.stoppedEarly === true && reservedLeft > 0 ? " (for orders still running when the run stopped)" : ""}`,
    "stock does not balance",
  );
}

/** How to read a run that may have been stopped before its orders ended. */
export interface InFlightOptions {
  /**
   * The run timed out and its writers were stopped: orders still running are left out of the
   * money balance and may hold reserved stock (an order ends only after its payment and stock
   * are settled: the saga completes or cancels the order last).
   * @default false
   */
  readonly stoppedEarly?: boolean;
}

const ORDER_ENDED: ReadonlySet<OrderState["status"]> = new Set([
  "completed",
  "cancelled",
  "rejected",
]);

/** Money: captured − refunded = revenue of completed orders (aggregates, order summaries, analytics). */
export async function moneyConserved(
  session: LocalSession,
  options: InFlightOptions = {},
): Promise<InvariantResult> {
  const problems: string[] = [];
  const payments = await scanByPrefix<PaymentState>(
    session,
    session.resources.tables.aggregates,
    "Payment#",
  );
  const orders = await scanByPrefix<OrderState>(
    session,
    session.resources.tables.aggregates,
    "Order#",
  );
  let captured = 0;
  let refunded = 0;
  let running = 0;
  for (const [orderId, payment] of payments) {
    const orderStatus = orders.get(orderId)?.status;
    if (
      options.stoppedEarly === true &&
      (orderStatus === undefined || !ORDER_ENDED.has(orderStatus))
    ) {
      running++;
      continue;
    }
    if (payment.status === "captured" || payment.status === "refunded")
      captured += payment.amountCents;
    if (payment.status === "refunded") refunded += payment.amountCents;
  }
  let revenue = 0;
  for (const [orderId, order] of orders) {
    if (order.status !== "completed") continue;
    revenue += order.totalCents;
    const payment = payments.get(orderId);
    if (payment?.status !== "captured")
      problems.push(`${orderId}: completed but payment is ${payment?.status ?? "none"}`);
  }
  if (captured - refunded !== revenue) {
    problems.push(
      `captured ${captured} − refunded ${refunded} = ${captured - refunded} ≠ revenue ${revenue}`,
    );
  }
  const totals = await session.readModels().get("sales-analytics", TOTALS);
  const analyticsRevenue = Number(totals?.revenueCents_EUR ?? 0);
  if (analyticsRevenue !== revenue)
    problems.push(`sales analytics revenue ${analyticsRevenue} ≠ ${revenue}`);
  const euros = (cents: number) => (cents / 100).toFixed(2);
  return result(
    "money is conserved (captured − refunded = revenue of completed orders)",
    problems,
    `captured €${euros(captured)} − refunded €${euros(refunded)} = revenue €${euros(revenue)}${running > 0 ? ` (${running} payment(s) of orders still running when the run stopped left out)` : ""}`,
    "money does not balance",
  );
}

/** Each read model rebuilt from offset 0 equals the live one. */
export async function readModelsMatchTheLog(
  session: LocalSession,
  onProgress?: (line: string) => void,
): Promise<InvariantResult> {
  const problems: string[] = [];
  const store = session.readModels();
  const lines: string[] = [];
  for (const projection of projections) {
    const declaration = functionDeclarations.find((d) => d.name === `${projection.name}-projector`);
    if (declaration === undefined || declaration.trigger.kind !== "log") {
      problems.push(`${projection.name}: no projector declared`);
      continue;
    }
    const live = (await store.pointer(projection.name, true)).liveVersion;
    const scratch = live + 1000 + Math.floor(Math.random() * 1000);
    const done = await rebuildProjection({
      log: session.log,
      admin: session.admin,
      store,
      projection,
      topics: declaration.trigger.topics.map((t) => session.topic(t)),
      version: scratch,
    });
    const differences = await compareVersions(store, projection.name, live, scratch);
    onProgress?.(
      `  ${projection.name}: rebuilt ${done.events} events in ${done.elapsedMs} ms, ${differences.length} difference(s)`,
    );
    lines.push(`${projection.name} ${differences.length === 0 ? "=" : "≠"}`);
    for (const d of differences.slice(0, 3)) {
      problems.push(`${projection.name}/${d.entity}: ${d.kind}`);
    }
  }
  return result(
    "read models equal a rebuild from offset 0",
    problems,
    lines.join(", "),
    "read models differ from the log",
  );
}
