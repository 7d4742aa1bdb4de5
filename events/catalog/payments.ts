import { z } from "zod";
import { defineEvent } from "../define.ts";
import { AmountCents, Currency, Id, Reason } from "./shared.ts";

/** One payment per order; the payment's aggregate id is the order id. */
const payments = {
  domain: "payments",
  aggregateType: "Payment",
  aggregateIdField: "orderId",
} as const;

export const ProcessPaymentRequested = defineEvent(
  "ProcessPaymentRequested",
  { ...payments, topic: "payment-commands", description: "Capture the order's amount." },
  z.object({
    orderId: Id,
    customerId: Id,
    amountCents: AmountCents,
    currency: Currency,
    paymentToken: z.string().min(1).max(128),
  }),
).build();

export const PaymentInitiated = defineEvent(
  "PaymentInitiated",
  {
    ...payments,
    topic: "payment-events",
    description: "The payment gateway was asked to capture.",
  },
  z.object({ orderId: Id, amountCents: AmountCents, currency: Currency }),
).build();

export const PaymentProcessed = defineEvent(
  "PaymentProcessed",
  { ...payments, topic: "payment-events", description: "Money was captured." },
  z.object({ orderId: Id, paymentId: Id, amountCents: AmountCents, currency: Currency }),
).build();

export const PaymentFailed = defineEvent(
  "PaymentFailed",
  { ...payments, topic: "payment-events", description: "Nothing was captured." },
  z.object({
    orderId: Id,
    code: z.enum(["CARD_DECLINED", "ORDER_CANCELLED", "INVALID_AMOUNT"]),
    reason: Reason,
  }),
).build();

export const RefundPaymentRequested = defineEvent(
  "RefundPaymentRequested",
  { ...payments, topic: "payment-commands", description: "Give captured money back." },
  z.object({ orderId: Id, reason: Reason }),
).build();

export const PaymentRefunded = defineEvent(
  "PaymentRefunded",
  { ...payments, topic: "payment-events", description: "Captured money was given back." },
  z.object({ orderId: Id, paymentId: Id, amountCents: AmountCents, currency: Currency }),
).build();

export const PaymentCommandRejected = defineEvent(
  "PaymentCommandRejected",
  {
    ...payments,
    topic: "payment-events",
    description: "A refund did not fit the payment's state.",
  },
  z.object({
    orderId: Id,
    command: z.enum(["RefundPaymentRequested"]),
    code: z.enum(["NOTHING_CAPTURED", "ALREADY_REFUNDED"]),
    reason: Reason,
  }),
).build();
