import type { EventData } from "../../events/types.ts";
import type { EventBody, EventDraft } from "./drafts.ts";
import { draft } from "./drafts.ts";
import { MissingContextError, unreachable } from "./errors.ts";
import type { OrderStatus } from "./orders.ts";

/**
 * The Payment aggregate (id: `orderId`, one payment per order): captures an order's amount
 * through a (simulated) gateway and refunds it. Money only ever moves captured → refunded, once.
 */

export type PaymentFailureCode = EventData<"PaymentFailed">["code"];

export type PaymentState =
  | { readonly status: "none" }
  | { readonly status: "pending"; readonly amountCents: number; readonly currency: string }
  | {
      readonly status: "captured" | "refunded";
      readonly amountCents: number;
      readonly currency: string;
      readonly paymentId: string;
    }
  | { readonly status: "failed"; readonly code: PaymentFailureCode; readonly reason: string };

export type PaymentStatus = PaymentState["status"];

export type PaymentCommandName = "ProcessPaymentRequested" | "RefundPaymentRequested";
export type PaymentCommand = EventBody<PaymentCommandName>;

export const paymentFactNames = [
  "PaymentInitiated",
  "PaymentProcessed",
  "PaymentFailed",
  "PaymentRefunded",
  "PaymentCommandRejected",
] as const;
export type PaymentFactName = (typeof paymentFactNames)[number];
export type PaymentFact = EventBody<PaymentFactName>;

/** What `ProcessPaymentRequested` needs besides the payment's state: the order's status. */
export interface PaymentContext {
  readonly orderStatus: OrderStatus;
}

/** A token the simulated gateway declines. */
export const DECLINED_TOKEN = "tok_declined";
/** A token the simulated gateway never answers for (the saga's deadline has to act). */
export const NO_ANSWER_TOKEN = "tok_no_answer";

export type GatewayOutcome = "approve" | "decline" | "no-answer";

/**
 * The simulated payment gateway: pure, so the demo's failure share is chosen by the tokens the
 * workload writes, and replays decide the same way.
 *
 * @example
 * ```ts
 * gatewayOutcome("tok_visa"); // "approve"
 * gatewayOutcome(DECLINED_TOKEN); // "decline"
 * ```
 */
export function gatewayOutcome(paymentToken: string): GatewayOutcome {
  if (paymentToken === DECLINED_TOKEN) return "decline";
  if (paymentToken === NO_ANSWER_TOKEN) return "no-answer";
  return "approve";
}

/** The payment id the gateway gives a capture: derived from the order, so replays agree. */
export function paymentIdFor(orderId: string): string {
  return `pay-${orderId}`;
}

/** Whether an event is one of the Payment aggregate's facts. */
export function isPaymentFact(event: EventBody): event is PaymentFact {
  return (paymentFactNames as readonly string[]).includes(event.eventType);
}

/** No payment for the order yet. */
export const initialState: PaymentState = { status: "none" };

/**
 * Decides what a payment command leads to. A second `ProcessPaymentRequested` for the same order
 * yields `[]`, whatever the first one did; a cancelled order is never charged.
 *
 * @example
 * ```ts
 * decide(initialState, process, { orderStatus: "placed" }, now);
 * // [PaymentInitiated, PaymentProcessed{ paymentId: "pay-o-1", amountCents: 3499, ... }]
 * ```
 */
export function decide(
  state: PaymentState,
  command: PaymentCommand,
  context: PaymentContext | undefined,
  _now: Date,
): EventDraft<PaymentFactName>[] {
  switch (command.eventType) {
    case "ProcessPaymentRequested": {
      if (context === undefined) {
        throw new MissingContextError(
          command.eventType,
          command.data.orderId,
          "a PaymentContext (the order's status)",
        );
      }
      return processPayment(state, command.data, context);
    }
    case "RefundPaymentRequested":
      return refundPayment(state, command.data);
    default:
      return unreachable(command, "payments.decide");
  }
}

function processPayment(
  state: PaymentState,
  data: EventData<"ProcessPaymentRequested">,
  context: PaymentContext,
): EventDraft<PaymentFactName>[] {
  const { orderId, amountCents, currency } = data;
  if (state.status !== "none") return [];
  if (context.orderStatus === "cancelled") {
    return [
      draft("PaymentFailed", {
        orderId,
        code: "ORDER_CANCELLED",
        reason: `order ${orderId} is cancelled; nothing was charged`,
      }),
    ];
  }
  if (amountCents <= 0) {
    return [
      draft("PaymentFailed", {
        orderId,
        code: "INVALID_AMOUNT",
        reason: `order ${orderId}: amount must be positive, got ${amountCents}`,
      }),
    ];
  }
  const initiated = draft("PaymentInitiated", { orderId, amountCents, currency });
  const outcome = gatewayOutcome(data.paymentToken);
  switch (outcome) {
    case "approve":
      return [
        initiated,
        draft("PaymentProcessed", {
          orderId,
          paymentId: paymentIdFor(orderId),
          amountCents,
          currency,
        }),
      ];
    case "decline":
      return [
        initiated,
        draft("PaymentFailed", {
          orderId,
          code: "CARD_DECLINED",
          reason: `the card for order ${orderId} was declined`,
        }),
      ];
    case "no-answer":
      return [initiated];
    default:
      return unreachable(outcome, "payments.processPayment");
  }
}

function refundPayment(
  state: PaymentState,
  data: EventData<"RefundPaymentRequested">,
): EventDraft<"PaymentRefunded" | "PaymentCommandRejected">[] {
  const { orderId } = data;
  if (state.status === "captured") {
    const { paymentId, amountCents, currency } = state;
    return [draft("PaymentRefunded", { orderId, paymentId, amountCents, currency })];
  }
  const [code, reason] =
    state.status === "refunded"
      ? (["ALREADY_REFUNDED", `the payment for order ${orderId} is already refunded`] as const)
      : ([
          "NOTHING_CAPTURED",
          `nothing was captured for order ${orderId} (${state.status})`,
        ] as const);
  return [
    draft("PaymentCommandRejected", { orderId, command: "RefundPaymentRequested", code, reason }),
  ];
}

/**
 * Applies a payment fact. Facts that do not fit the state (never produced by the decider) leave
 * it unchanged.
 *
 * @example
 * ```ts
 * [initiated, processed].reduce(evolve, initialState).status; // "captured"
 * ```
 */
export function evolve(state: PaymentState, event: PaymentFact): PaymentState {
  switch (event.eventType) {
    case "PaymentInitiated":
      if (state.status !== "none") return state;
      return {
        status: "pending",
        amountCents: event.data.amountCents,
        currency: event.data.currency,
      };
    case "PaymentProcessed":
      if (state.status !== "none" && state.status !== "pending") return state;
      return {
        status: "captured",
        amountCents: event.data.amountCents,
        currency: event.data.currency,
        paymentId: event.data.paymentId,
      };
    case "PaymentFailed":
      if (state.status !== "none" && state.status !== "pending") return state;
      return { status: "failed", code: event.data.code, reason: event.data.reason };
    case "PaymentRefunded":
      if (state.status !== "captured") return state;
      return { ...state, status: "refunded" };
    case "PaymentCommandRejected":
      return state;
    default:
      return unreachable(event, "payments.evolve");
  }
}
