import type { EventData } from "../../events/types.ts";
import type { EventBody, FactName } from "./drafts.ts";
import { draft, reasonText } from "./drafts.ts";
import { SagaMismatchError, unreachable } from "./errors.ts";
import type {
  Cancellation,
  DeadlineKind,
  OrderSagaState,
  SagaCommand,
  SagaStatus,
  SagaTimeouts,
} from "./order-saga-state.ts";
import { defaultSagaTimeouts } from "./order-saga-state.ts";
import type { OrderCancellationCode } from "./orders.ts";

export * from "./order-saga-state.ts";

/**
 * The order-fulfilment saga, orchestrated, as a pure state machine: a fact (or a passed
 * deadline) and the saga's state in, the next state and the commands to issue out. Anything that
 * does not fit the state changes nothing and issues nothing, so duplicate and stale facts from an
 * at-least-once log are harmless. Late answers after a timeout are compensated (a late
 * reservation is released, a late capture refunded), so stock and money stay conserved.
 */

/** What the saga does with a fact. */
export interface SagaReaction {
  /** `undefined` only when there is no saga and the fact does not start one. */
  readonly state: OrderSagaState | undefined;
  /** Commands to issue, in order, each caused by the fact. */
  readonly commands: readonly SagaCommand[];
  /** False when the fact changed nothing: the runtime can skip the write. */
  readonly changed: boolean;
}

/** What the deadline sweep does with a saga. */
export interface DeadlineReaction {
  readonly state: OrderSagaState;
  /** Commands to issue: a compensation, or the current step's command again. */
  readonly commands: readonly SagaCommand[];
  /**
   * True when `commands` re-sends the step's last command. Publish it with a new event id: the
   * handler's event-id idempotency would swallow the old one, and the deciders make the repeat
   * harmless (it yields `[]` or a rejection that the saga expects).
   */
  readonly reissueLastCommand: boolean;
  readonly changed: boolean;
}

/**
 * The order a fact belongs to, i.e. the id of the saga that must see it; `undefined` for facts
 * the saga never reads (customers, restocks).
 *
 * @example
 * ```ts
 * sagaIdOf(paymentProcessed); // "o-1"
 * sagaIdOf(productRestocked); // undefined
 * ```
 */
export function sagaIdOf(fact: EventBody<FactName>): string | undefined {
  return "orderId" in fact.data ? fact.data.orderId : undefined;
}

/**
 * Moves the saga on with a fact.
 *
 * @example
 * ```ts
 * const started = react(undefined, orderPlaced, now);
 * started.state?.status; // "RESERVING"
 * started.commands; // [{ eventType: "ReserveInventoryRequested", data: { orderId: "o-1", ... } }]
 * ```
 */
export function react(
  state: OrderSagaState | undefined,
  fact: EventBody<FactName>,
  now: Date,
  timeouts: SagaTimeouts = defaultSagaTimeouts,
): SagaReaction {
  const factOrderId = sagaIdOf(fact);
  if (state !== undefined && factOrderId !== undefined && factOrderId !== state.orderId) {
    throw new SagaMismatchError(state.orderId, fact.eventType, factOrderId);
  }
  if (fact.eventType === "OrderPlaced") {
    return state === undefined ? start(fact.data, now, timeouts) : unchanged(state);
  }
  if (state === undefined) return { state, commands: [], changed: false };
  const t = { now, timeouts };

  switch (fact.eventType) {
    case "InventoryReserved":
      return onReserved(state, fact.data, t);
    case "InventoryReservationFailed":
      if (state.status !== "RESERVING") return unchanged(state);
      return compensate(state, "CANCELLING", { code: "OUT_OF_STOCK", reason: fact.data.reason }, t);
    case "PaymentProcessed":
      return onCaptured(state, t);
    case "PaymentFailed":
      if (state.status !== "PAYING") return unchanged(state);
      return compensate(
        state,
        "RELEASING",
        { code: "PAYMENT_FAILED", reason: fact.data.reason },
        t,
      );
    case "DeliveryScheduled":
      if (state.status !== "SCHEDULING") return unchanged(state);
      return advance(
        { ...state, deliveryId: fact.data.deliveryId },
        "COMMITTING",
        draft("CommitInventoryRequested", {
          orderId: state.orderId,
          deliveryId: fact.data.deliveryId,
        }),
        stepDeadline(t),
      );
    case "DeliverySchedulingFailed":
      if (state.status !== "SCHEDULING") return unchanged(state);
      return compensate(
        state,
        "REFUNDING",
        { code: "DELIVERY_FAILED", reason: fact.data.reason },
        t,
      );
    case "PaymentRefunded":
    case "PaymentCommandRejected":
      // Refunded, or nothing left to refund: either way the money is back; go on compensating.
      if (state.status !== "REFUNDING") return unchanged(state);
      return compensate(state, "RELEASING", cancellationOf(state), t);
    case "InventoryReleased":
      if (state.status !== "RELEASING") return unchanged(state);
      return compensate(state, "CANCELLING", cancellationOf(state), t);
    case "InventoryCommitted":
      if (state.status !== "COMMITTING" || state.deliveryId === undefined) return unchanged(state);
      return advance(
        state,
        "COMPLETING",
        draft("CompleteOrderRequested", { orderId: state.orderId, deliveryId: state.deliveryId }),
        stepDeadline(t),
      );
    case "InventoryCommandRejected":
      return onInventoryRejected(state, fact.data, t);
    case "OrderCompleted":
      if (state.status !== "COMPLETING") return unchanged(state);
      return advance(state, "COMPLETED", undefined, undefined);
    case "OrderCancelled":
      return onOrderCancelled(state, fact.data, t);
    case "OrderCommandRejected":
      return onOrderRejected(state, fact.data);
    case "CustomerRegistered":
    case "CustomerRegistrationRejected":
    case "ProductRestocked":
    case "OrderRejected":
    case "PaymentInitiated":
      return unchanged(state);
    default:
      return unreachable(fact, "order-saga.react");
  }
}

/**
 * Acts on a passed deadline: compensates a step that never answered (inventory, payment,
 * delivery), or re-sends the command of a step that must eventually succeed (commit, complete,
 * refund, release, cancel) until `timeouts.maxReissues`, then gives up (FAILED). Before the
 * deadline it does nothing, so the sweep may call it as often as it likes.
 *
 * @example
 * ```ts
 * const { state, commands } = onDeadline(paying, afterDeadline);
 * state.status; // "RELEASING"
 * commands[0]?.eventType; // "ReleaseInventoryRequested"
 * ```
 */
export function onDeadline(
  state: OrderSagaState,
  now: Date,
  timeouts: SagaTimeouts = defaultSagaTimeouts,
): DeadlineReaction {
  const nothing = { state, commands: [], reissueLastCommand: false, changed: false };
  if (state.deadlineAt === undefined || now.getTime() < Date.parse(state.deadlineAt)) {
    return nothing;
  }
  const t = { now, timeouts };
  const { orderId } = state;
  const compensation = (reaction: Step): DeadlineReaction => ({
    state: reaction.state,
    commands: reaction.commands,
    reissueLastCommand: false,
    changed: true,
  });

  switch (state.status) {
    case "RESERVING":
      return compensation(
        compensate(
          state,
          "CANCELLING",
          {
            code: "INVENTORY_TIMEOUT",
            reason: `inventory did not answer for order ${orderId} within ${timeouts.inventoryMs} ms`,
          },
          t,
        ),
      );
    case "PAYING":
      return compensation(
        compensate(
          state,
          "RELEASING",
          state.deadlineKind === "RESERVATION_EXPIRY"
            ? {
                code: "RESERVATION_EXPIRED",
                reason: `the stock held for order ${orderId} expired at ${state.reservationExpiresAt} before payment`,
              }
            : {
                code: "PAYMENT_TIMEOUT",
                reason: `payment did not answer for order ${orderId} within ${timeouts.paymentMs} ms`,
              },
          t,
        ),
      );
    case "SCHEDULING":
      return compensation(
        compensate(
          state,
          "REFUNDING",
          {
            code: "DELIVERY_TIMEOUT",
            reason: `delivery did not answer for order ${orderId} within ${timeouts.deliveryMs} ms`,
          },
          t,
        ),
      );
    case "COMMITTING":
    case "COMPLETING":
    case "REFUNDING":
    case "RELEASING":
    case "CANCELLING":
      return reissue(state, t);
    case "COMPLETED":
    case "CANCELLED":
    case "FAILED":
      return nothing;
    default:
      return unreachable(state.status, "order-saga.onDeadline");
  }
}

/** A reaction of a saga that exists (every internal transition). */
interface Step extends SagaReaction {
  readonly state: OrderSagaState;
}

interface Clock {
  readonly now: Date;
  readonly timeouts: SagaTimeouts;
}

interface Deadline {
  readonly at: number;
  readonly kind: DeadlineKind;
}

function start(order: EventData<"OrderPlaced">, now: Date, timeouts: SagaTimeouts): Step {
  const { orderId, customerId, items, totalCents, currency, shippingAddress, paymentToken } = order;
  const initial: OrderSagaState = {
    orderId,
    customerId,
    status: "RESERVING",
    items,
    totalCents,
    currency,
    shippingAddress,
    paymentToken,
    paymentCaptured: false,
    reissues: 0,
  };
  return advance(
    initial,
    "RESERVING",
    draft("ReserveInventoryRequested", {
      orderId,
      items: lines(initial),
      holdSeconds: timeouts.holdSeconds,
    }),
    { at: now.getTime() + timeouts.inventoryMs, kind: "INVENTORY" },
  );
}

function onReserved(state: OrderSagaState, data: EventData<"InventoryReserved">, t: Clock): Step {
  if (state.status === "RESERVING") {
    const expiresAt = Date.parse(data.expiresAt);
    const paymentDue = t.now.getTime() + t.timeouts.paymentMs;
    const deadline: Deadline =
      expiresAt <= paymentDue
        ? { at: expiresAt, kind: "RESERVATION_EXPIRY" }
        : { at: paymentDue, kind: "PAYMENT" };
    return advance(
      { ...state, reservationExpiresAt: data.expiresAt },
      "PAYING",
      draft("ProcessPaymentRequested", {
        orderId: state.orderId,
        customerId: state.customerId,
        amountCents: state.totalCents,
        currency: state.currency,
        paymentToken: state.paymentToken,
      }),
      deadline,
    );
  }
  // A reservation that arrives after the saga gave up on inventory: give the stock back. The
  // saga remembers it, so a duplicate of the late fact does not release twice.
  const givenUp = state.status === "CANCELLING" || state.status === "CANCELLED";
  if (givenUp && state.reservationExpiresAt === undefined) {
    return aside({ ...state, reservationExpiresAt: data.expiresAt }, [
      draft("ReleaseInventoryRequested", {
        orderId: state.orderId,
        reason: reasonText(`stock reserved after order ${state.orderId} was given up`),
      }),
    ]);
  }
  return unchanged(state);
}

function onCaptured(state: OrderSagaState, t: Clock): Step {
  if (state.status === "PAYING") {
    return advance(
      { ...state, paymentCaptured: true },
      "SCHEDULING",
      draft("ScheduleDeliveryRequested", {
        orderId: state.orderId,
        address: state.shippingAddress,
        items: lines(state),
      }),
      { at: t.now.getTime() + t.timeouts.deliveryMs, kind: "DELIVERY" },
    );
  }
  // A capture that arrives after the saga gave up on payment: give the money back.
  const givenUp =
    state.status === "RELEASING" || state.status === "CANCELLING" || state.status === "CANCELLED";
  if (givenUp && !state.paymentCaptured) {
    return aside({ ...state, paymentCaptured: true }, [
      draft("RefundPaymentRequested", {
        orderId: state.orderId,
        reason: reasonText(`payment captured after order ${state.orderId} was given up`),
      }),
    ]);
  }
  return unchanged(state);
}

function onInventoryRejected(
  state: OrderSagaState,
  data: EventData<"InventoryCommandRejected">,
  t: Clock,
): Step {
  if (data.command === "ReleaseInventoryRequested" && state.status === "RELEASING") {
    // Nothing (left) to release: the stock is not held for this order any more.
    return compensate(state, "CANCELLING", cancellationOf(state), t);
  }
  if (data.command === "CommitInventoryRequested" && state.status === "COMMITTING") {
    return compensate(state, "REFUNDING", { code: "RESERVATION_EXPIRED", reason: data.reason }, t);
  }
  return unchanged(state);
}

function onOrderCancelled(
  state: OrderSagaState,
  data: EventData<"OrderCancelled">,
  t: Clock,
): Step {
  const fromOutside: Cancellation = { code: data.code, reason: data.reason };
  switch (state.status) {
    case "CANCELLING":
      return advance(state, "CANCELLED", undefined, undefined);
    // Cancelled by someone else while the saga was still going: undo what was done so far. The
    // final CancelOrderRequested is then answered ALREADY_CANCELLED, which ends the saga.
    case "RESERVING":
      return advance({ ...state, cancellation: fromOutside }, "CANCELLED", undefined, undefined);
    case "PAYING":
      return compensate(state, "RELEASING", fromOutside, t);
    case "SCHEDULING":
    case "COMMITTING":
      return compensate(state, "REFUNDING", fromOutside, t);
    case "COMPLETING":
      // Paid and shipped, yet cancelled: no compensation fits, an operator decides.
      return fail(
        { ...state, cancellation: fromOutside },
        `order ${state.orderId} was cancelled (${data.code}) after its stock was shipped`,
      );
    case "REFUNDING":
    case "RELEASING":
    case "COMPLETED":
    case "CANCELLED":
    case "FAILED":
      return unchanged(state);
    default:
      return unreachable(state.status, "order-saga.onOrderCancelled");
  }
}

function onOrderRejected(state: OrderSagaState, data: EventData<"OrderCommandRejected">): Step {
  if (state.status === "CANCELLING" && data.command === "CancelOrderRequested") {
    if (data.code === "ALREADY_CANCELLED") return advance(state, "CANCELLED", undefined, undefined);
    return fail(state, `cancelling order ${state.orderId} was refused: ${data.code}`);
  }
  if (state.status === "COMPLETING" && data.command === "CompleteOrderRequested") {
    return fail(state, `completing order ${state.orderId} was refused: ${data.code}`);
  }
  return unchanged(state);
}

/** Enters a compensating status with its command; the cancellation is kept for the final cancel. */
function compensate(
  state: OrderSagaState,
  status: "REFUNDING" | "RELEASING" | "CANCELLING",
  cancellation: Cancellation,
  t: Clock,
): Step {
  const { orderId } = state;
  const reason = reasonText(cancellation.reason);
  const withCancellation = { ...state, cancellation: { code: cancellation.code, reason } };
  const command =
    status === "REFUNDING"
      ? draft("RefundPaymentRequested", { orderId, reason })
      : status === "RELEASING"
        ? draft("ReleaseInventoryRequested", { orderId, reason })
        : draft("CancelOrderRequested", { orderId, code: cancellation.code, reason });
  return advance(withCancellation, status, command, stepDeadline(t));
}

function reissue(state: OrderSagaState, t: Clock): DeadlineReaction {
  const command = state.lastCommand;
  if (command === undefined || state.reissues >= t.timeouts.maxReissues) {
    const what = command?.eventType ?? "its last command";
    const failed = fail(
      state,
      `no answer to ${what} for order ${state.orderId} after ${state.reissues} re-sends`,
    );
    return { ...failed, reissueLastCommand: false };
  }
  return {
    state: {
      ...state,
      reissues: state.reissues + 1,
      deadlineAt: new Date(t.now.getTime() + t.timeouts.stepMs).toISOString(),
      deadlineKind: "STEP",
    },
    commands: [command],
    reissueLastCommand: true,
    changed: true,
  };
}

/**
 * Moves to `status`: the command (if any) becomes the step's last command, the re-send count
 * starts over, and the deadline is replaced (or dropped for a terminal status).
 */
function advance(
  state: OrderSagaState,
  status: SagaStatus,
  command: SagaCommand | undefined,
  deadline: Deadline | undefined,
): Step {
  const { deadlineAt: _at, deadlineKind: _kind, ...rest } = state;
  const next: OrderSagaState = {
    ...rest,
    status,
    reissues: 0,
    ...(command === undefined ? {} : { lastCommand: command }),
    ...(deadline === undefined
      ? {}
      : { deadlineAt: new Date(deadline.at).toISOString(), deadlineKind: deadline.kind }),
  };
  return { state: next, commands: command === undefined ? [] : [command], changed: true };
}

/** Issues commands on the side (late compensation) without leaving the current step. */
function aside(state: OrderSagaState, commands: readonly SagaCommand[]): Step {
  return { state, commands, changed: true };
}

function fail(state: OrderSagaState, failureReason: string): Step {
  return advance(
    { ...state, failureReason: reasonText(failureReason) },
    "FAILED",
    undefined,
    undefined,
  );
}

function unchanged(state: OrderSagaState): Step {
  return { state, commands: [], changed: false };
}

function stepDeadline(t: Clock): Deadline {
  return { at: t.now.getTime() + t.timeouts.stepMs, kind: "STEP" };
}

function lines(state: OrderSagaState): { productId: string; quantity: number }[] {
  return state.items.map(({ productId, quantity }) => ({ productId, quantity }));
}

/** Every path into RELEASING or CANCELLING records a cancellation first; this is a safety net. */
function cancellationOf(state: OrderSagaState): Cancellation {
  const fallback: OrderCancellationCode = "CUSTOMER_REQUEST";
  return state.cancellation ?? { code: fallback, reason: `order ${state.orderId} was given up` };
}
