import { describe, expect, it } from "vitest";
import { foldAggregate } from "../../../functions/domain/aggregates.ts";
import type { EventDraft } from "../../../functions/domain/drafts.ts";
import { draft } from "../../../functions/domain/drafts.ts";
import type { OrderStatus } from "../../../functions/domain/orders.ts";
import * as payments from "../../../functions/domain/payments.ts";
import { deciderSpec, toEvent } from "./decider-spec.ts";

const spec = deciderSpec({
  stateFor: (history, command) => foldAggregate("Payment", command.data.orderId, history),
  decide: payments.decide,
});

const process = (paymentToken = "tok_visa", amountCents = 3499) =>
  draft("ProcessPaymentRequested", {
    orderId: "o-1",
    customerId: "c-1",
    amountCents,
    currency: "EUR",
    paymentToken,
  });
const placedOrder = { orderStatus: "placed" } as const;
const initiated = draft("PaymentInitiated", { orderId: "o-1", amountCents: 3499, currency: "EUR" });
const processed = draft("PaymentProcessed", {
  orderId: "o-1",
  paymentId: "pay-o-1",
  amountCents: 3499,
  currency: "EUR",
});
const declined = draft("PaymentFailed", {
  orderId: "o-1",
  code: "CARD_DECLINED",
  reason: "the card for order o-1 was declined",
});
const refund = draft("RefundPaymentRequested", { orderId: "o-1", reason: "delivery impossible" });
const refunded = draft("PaymentRefunded", {
  orderId: "o-1",
  paymentId: "pay-o-1",
  amountCents: 3499,
  currency: "EUR",
});

describe("payments: the simulated gateway", () => {
  it.each([
    ["tok_visa", "approve"],
    ["tok_mastercard", "approve"],
    ["tok_declined", "decline"],
    ["tok_no_answer", "no-answer"],
  ])("%s → %s", (token, outcome) => {
    expect(payments.gatewayOutcome(token)).toBe(outcome);
  });
});

describe("payments: ProcessPaymentRequested", () => {
  it("captures an approved payment", () => {
    spec.given([]).when(process(), placedOrder).then([initiated, processed]);
  });

  it("records a declined card as failed after initiating", () => {
    spec.given([]).when(process("tok_declined"), placedOrder).then([initiated, declined]);
  });

  it("only initiates when the gateway never answers (the saga's deadline acts)", () => {
    spec.given([]).when(process("tok_no_answer"), placedOrder).then([initiated]);
  });

  it("cannot pay a cancelled order", () => {
    spec
      .given([])
      .when(process(), { orderStatus: "cancelled" })
      .then([
        draft("PaymentFailed", {
          orderId: "o-1",
          code: "ORDER_CANCELLED",
          reason: "order o-1 is cancelled; nothing was charged",
        }),
      ]);
  });

  it("refuses an amount of zero", () => {
    spec
      .given([])
      .when(process("tok_visa", 0), placedOrder)
      .then([
        draft("PaymentFailed", {
          orderId: "o-1",
          code: "INVALID_AMOUNT",
          reason: "order o-1: amount must be positive, got 0",
        }),
      ]);
  });

  it.each<[string, EventDraft[]]>([
    ["captured", [initiated, processed]],
    ["pending", [initiated]],
    ["failed", [initiated, declined]],
    ["refunded", [initiated, processed, refunded]],
  ])("a second payment for an order that is %s yields nothing (no double charge)", (_, history) => {
    spec.given(history).when(process(), placedOrder).thenNothing();
  });

  it("throws a programming error when the handler passes no order status", () => {
    spec
      .given([])
      .when(process(), undefined)
      .thenThrows(/ProcessPaymentRequested for o-1: the handler must pass a PaymentContext/);
  });

  it.each<OrderStatus>(["placed", "completed"])("charges an order that is %s", (orderStatus) => {
    spec.given([]).when(process(), { orderStatus }).then([initiated, processed]);
  });
});

describe("payments: RefundPaymentRequested", () => {
  it("refunds a captured payment in full", () => {
    spec.given([initiated, processed]).when(refund, undefined).then([refunded]);
  });

  it("refuses a second refund", () => {
    spec
      .given([initiated, processed, refunded])
      .when(refund, undefined)
      .then([
        draft("PaymentCommandRejected", {
          orderId: "o-1",
          command: "RefundPaymentRequested",
          code: "ALREADY_REFUNDED",
          reason: "the payment for order o-1 is already refunded",
        }),
      ]);
  });

  it.each<[string, EventDraft[]]>([
    ["none", []],
    ["pending", [initiated]],
    ["failed", [initiated, declined]],
  ])("has nothing to refund when the payment is %s", (status, history) => {
    spec
      .given(history)
      .when(refund, undefined)
      .then([
        draft("PaymentCommandRejected", {
          orderId: "o-1",
          command: "RefundPaymentRequested",
          code: "NOTHING_CAPTURED",
          reason: `nothing was captured for order o-1 (${status})`,
        }),
      ]);
  });
});

describe("payments: evolve", () => {
  it("moves none → pending → captured → refunded, keeping amount and id", () => {
    const fold = (drafts: EventDraft[]) =>
      foldAggregate(
        "Payment",
        "o-1",
        drafts.map((d) => toEvent(d)),
      );
    expect(fold([initiated])).toEqual({ status: "pending", amountCents: 3499, currency: "EUR" });
    expect(fold([initiated, processed, refunded])).toEqual({
      status: "refunded",
      amountCents: 3499,
      currency: "EUR",
      paymentId: "pay-o-1",
    });
  });
});
