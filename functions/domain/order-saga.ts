import type { EventData } from "../../events/types.ts";
import type { EventBody, FactName } from "./drafts.ts";
import { draft, reasonText } from "./drafts.ts";
import { SagaMismatchError, unreachable } from "./errors.ts";
import type {
  Cancellation,
  OrderSagaState,
  SagaCommand,
  SagaStatus,
  SagaTimeouts,
  StepKind,
} from "./order-saga-state.ts";
import { defaultSagaTimeouts } from "./order-saga-state.ts";
import type { OrderCancellationCode } from "./orders.ts";
import type { DeadlineVerdict, FiredDeadline, StreamTime } from "./saga-deadlines.ts";
import { inSync, judgeDeadline, withKnownDeadline } from "./saga-deadlines.ts";

export * from "./order-saga-state.ts";
export * from "./saga-deadlines.ts";

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
  /**
   * The command (one of `commands`) that starts the new step: its handling starts the step's
   * clock, so the runtime records the event id it gives it in `state.step.commandId`.
   */
  readonly stepCommand?: SagaCommand;
}

/** What the deadline sweep does with a saga. */
export interface DeadlineReaction {
  readonly state: OrderSagaState;
  /** Commands to issue: a compensation, or the current step's command again. */
  readonly commands: readonly SagaCommand[];
  /** The command that starts the new step (see {@link SagaReaction.stepCommand}). */
  readonly stepCommand?: SagaCommand;
  /** How the deadline was judged (fired, held and why, not due). */
  readonly verdict: DeadlineVerdict;
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
        stepTimer(t),
        t,
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
        stepTimer(t),
        t,
      );
    case "InventoryCommandRejected":
      return onInventoryRejected(state, fact.data, t);
    case "OrderCompleted":
      if (state.status !== "COMPLETING") return unchanged(state);
      return advance(state, "COMPLETED", undefined, undefined, t);
    case "OrderCancelled":
      return onOrderCancelled(state, fact.data, t);
    case "OrderCommandRejected":
      return onOrderRejected(state, fact.data, t);
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
 * Acts on a deadline once it fires (see `saga-deadlines.ts` for when it may): compensates a step
 * that never answered (inventory, payment, delivery), or re-sends the command of a step that must
 * eventually succeed (commit, complete, refund, release, cancel) until `timeouts.maxReissues`,
 * then gives up (FAILED). A deadline that does not fire changes nothing, so the sweep may call
 * this as often as it likes. Given a `Date`, the deadline is judged as if nothing lagged (the
 * watermark at `now`).
 *
 * @example
 * ```ts
 * const { state, commands } = onDeadline(paying, { now, watermark, stalledInputs: [], ... });
 * state.status; // "RELEASING" once the watermark passed the payment's deadline
 * commands[0]?.eventType; // "ReleaseInventoryRequested"
 * ```
 */
export function onDeadline(
  state: OrderSagaState,
  time: StreamTime | Date,
  timeouts: SagaTimeouts = defaultSagaTimeouts,
): DeadlineReaction {
  const stream = time instanceof Date ? inSync(time) : time;
  const verdict = judgeDeadline(state, stream, timeouts.stallGraceMs);
  if (verdict.verdict !== "fire") {
    return { state, commands: [], reissueLastCommand: false, changed: false, verdict };
  }
  const t = { now: stream.now, timeouts };
  const { orderId } = state;
  const within = (what: string, ms: number) =>
    verdict.forced === "COMMAND_NOT_HANDLED"
      ? `the ${what} command for order ${orderId} was not handled within ${ms} ms and the ${timeouts.stallGraceMs} ms grace`
      : `${what} did not answer for order ${orderId} within ${ms} ms`;
  const compensation = (cancellation: Cancellation, status: CompensatingStatus) => {
    const reaction = compensate(
      state,
      status,
      { ...cancellation, reason: cancellation.reason + forcedNote(verdict) },
      t,
    );
    return { ...reaction, reissueLastCommand: false, verdict };
  };

  switch (state.status) {
    case "RESERVING":
      return compensation(
        {
          code: "INVENTORY_TIMEOUT",
          reason: within("inventory", stepMs(state, timeouts.inventoryMs)),
        },
        "CANCELLING",
      );
    case "PAYING":
      return compensation(
        verdict.kind === "RESERVATION_EXPIRY"
          ? {
              code: "RESERVATION_EXPIRED",
              reason: `the stock held for order ${orderId} expired at ${state.reservationExpiresAt} before payment`,
            }
          : {
              code: "PAYMENT_TIMEOUT",
              reason: within("payment", stepMs(state, timeouts.paymentMs)),
            },
        "RELEASING",
      );
    case "SCHEDULING":
      return compensation(
        {
          code: "DELIVERY_TIMEOUT",
          reason: within("delivery", stepMs(state, timeouts.deliveryMs)),
        },
        "REFUNDING",
      );
    case "COMMITTING":
    case "COMPLETING":
    case "REFUNDING":
    case "RELEASING":
    case "CANCELLING":
      return { ...reissue(state, t), verdict };
    case "COMPLETED":
    case "CANCELLED":
    case "FAILED":
      return { state, commands: [], reissueLastCommand: false, changed: false, verdict };
    default:
      return unreachable(state.status, "order-saga.onDeadline");
  }
}

/** The timeout the current step was given (the configured one for steps stored without). */
function stepMs(state: OrderSagaState, configured: number): number {
  return state.step?.timeoutMs ?? configured;
}

/** Said in a cancellation when the deadline was decided on the wall clock (degraded mode). */
function forcedNote(verdict: FiredDeadline): string {
  switch (verdict.forced) {
    case undefined:
      return "";
    case "INPUTS_STALLED":
      return " (decided on the wall clock: the saga's input consumers were stalled)";
    case "COMMAND_NOT_HANDLED":
      return " (decided on the wall clock: the command was never handled)";
    default:
      return unreachable(verdict.forced, "order-saga.forcedNote");
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

/** The timer of a step the saga enters: what it waits for and for how long. */
interface StepTimer {
  readonly kind: StepKind;
  readonly timeoutMs: number;
}

type CompensatingStatus = "REFUNDING" | "RELEASING" | "CANCELLING";

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
    { kind: "INVENTORY", timeoutMs: timeouts.inventoryMs },
    { now, timeouts },
  );
}

function onReserved(state: OrderSagaState, data: EventData<"InventoryReserved">, t: Clock): Step {
  if (state.status === "RESERVING") {
    // The hold's expiry is a second deadline of this step (`saga-deadlines.ts`).
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
      { kind: "PAYMENT", timeoutMs: t.timeouts.paymentMs },
      t,
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
      { kind: "DELIVERY", timeoutMs: t.timeouts.deliveryMs },
      t,
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
      return advance(state, "CANCELLED", undefined, undefined, t);
    // Cancelled by someone else while the saga was still going: undo what was done so far. The
    // final CancelOrderRequested is then answered ALREADY_CANCELLED, which ends the saga.
    case "RESERVING":
      return advance({ ...state, cancellation: fromOutside }, "CANCELLED", undefined, undefined, t);
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
        t,
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

function onOrderRejected(
  state: OrderSagaState,
  data: EventData<"OrderCommandRejected">,
  t: Clock,
): Step {
  if (state.status === "CANCELLING" && data.command === "CancelOrderRequested") {
    if (data.code === "ALREADY_CANCELLED") {
      return advance(state, "CANCELLED", undefined, undefined, t);
    }
    return fail(state, `cancelling order ${state.orderId} was refused: ${data.code}`, t);
  }
  if (state.status === "COMPLETING" && data.command === "CompleteOrderRequested") {
    return fail(state, `completing order ${state.orderId} was refused: ${data.code}`, t);
  }
  return unchanged(state);
}

/** Enters a compensating status with its command; the cancellation is kept for the final cancel. */
function compensate(
  state: OrderSagaState,
  status: CompensatingStatus,
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
  return advance(withCancellation, status, command, stepTimer(t), t);
}

function reissue(state: OrderSagaState, t: Clock): Omit<DeadlineReaction, "verdict"> {
  const command = state.lastCommand;
  if (command === undefined || state.reissues >= t.timeouts.maxReissues) {
    const what = command?.eventType ?? "its last command";
    const failed = fail(
      state,
      `no answer to ${what} for order ${state.orderId} after ${state.reissues} re-sends`,
      t,
    );
    return { ...failed, reissueLastCommand: false };
  }
  const again = advance(
    state,
    state.status,
    command,
    { kind: state.step?.kind ?? "STEP", timeoutMs: t.timeouts.stepMs },
    t,
  );
  return {
    ...again,
    state: { ...again.state, reissues: state.reissues + 1 },
    reissueLastCommand: true,
  };
}

/**
 * Moves to `status`: the command (if any) becomes the step's last command and starts a new step
 * (its clock, its deadline), the re-send count starts over; a terminal status drops the step.
 */
function advance(
  state: OrderSagaState,
  status: SagaStatus,
  command: SagaCommand | undefined,
  timer: StepTimer | undefined,
  t: Clock,
): Step {
  const { step: _step, ...rest } = state;
  const next = withKnownDeadline({
    ...rest,
    status,
    reissues: 0,
    ...(command === undefined ? {} : { lastCommand: command }),
    ...(timer === undefined
      ? {}
      : { step: { kind: timer.kind, timeoutMs: timer.timeoutMs, issuedAt: t.now.toISOString() } }),
  });
  return command === undefined
    ? { state: next, commands: [], changed: true }
    : { state: next, commands: [command], changed: true, stepCommand: command };
}

/** Issues commands on the side (late compensation) without leaving the current step. */
function aside(state: OrderSagaState, commands: readonly SagaCommand[]): Step {
  return { state, commands, changed: true };
}

function fail(state: OrderSagaState, failureReason: string, t: Clock): Step {
  return advance(
    { ...state, failureReason: reasonText(failureReason) },
    "FAILED",
    undefined,
    undefined,
    t,
  );
}

function unchanged(state: OrderSagaState): Step {
  return { state, commands: [], changed: false };
}

function stepTimer(t: Clock): StepTimer {
  return { kind: "STEP", timeoutMs: t.timeouts.stepMs };
}

function lines(state: OrderSagaState): { productId: string; quantity: number }[] {
  return state.items.map(({ productId, quantity }) => ({ productId, quantity }));
}

/** Every path into RELEASING or CANCELLING records a cancellation first; this is a safety net. */
function cancellationOf(state: OrderSagaState): Cancellation {
  const fallback: OrderCancellationCode = "CUSTOMER_REQUEST";
  return state.cancellation ?? { code: fallback, reason: `order ${state.orderId} was given up` };
}
