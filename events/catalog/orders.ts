import { z } from "zod";
import { defineEvent } from "../define.ts";
import { Address, AmountCents, Currency, Id, PricedItem, Reason, RequestedItem } from "./shared.ts";

const orders = { domain: "orders", aggregateType: "Order", aggregateIdField: "orderId" } as const;

export const PlaceOrderRequested = defineEvent(
  "PlaceOrderRequested",
  { ...orders, topic: "order-commands", description: "A customer asks to place an order." },
  z.object({
    orderId: Id,
    customerId: Id,
    items: z.array(RequestedItem).max(100),
    shippingAddress: Address,
    /** Opaque token of the payment method, handed to the payment gateway. */
    paymentToken: z.string().min(1).max(128),
    currency: Currency.default("EUR"),
  }),
).build();

const OrderPlacedV1 = z.object({
  orderId: Id,
  customerId: Id,
  items: z.array(PricedItem).min(1),
  totalCents: AmountCents,
  shippingAddress: Address,
  paymentToken: z.string().min(1).max(128),
});

/** v2 adds the currency; data written as v1 was in euros. */
const OrderPlacedV2 = OrderPlacedV1.extend({ currency: Currency.default("EUR") });

export const OrderPlaced = defineEvent(
  "OrderPlaced",
  {
    ...orders,
    topic: "order-events",
    compatibility: "BACKWARD",
    description: "An order was accepted; the fulfilment saga starts here.",
  },
  OrderPlacedV1,
)
  .version(2, OrderPlacedV2, (v1) => ({ ...v1, currency: "EUR" }))
  .build();

export const OrderRejectionCode = z.enum([
  "UNKNOWN_PRODUCT",
  "INVALID_QUANTITY",
  "EMPTY_ORDER",
  "DUPLICATE_ORDER",
  "UNKNOWN_CUSTOMER",
]);

export const OrderRejected = defineEvent(
  "OrderRejected",
  { ...orders, topic: "order-events", description: "A PlaceOrder command was refused." },
  z.object({ orderId: Id, customerId: Id, code: OrderRejectionCode, reason: Reason }),
).build();

export const OrderCancellationCode = z.enum([
  "OUT_OF_STOCK",
  "PAYMENT_FAILED",
  "PAYMENT_TIMEOUT",
  "RESERVATION_EXPIRED",
  "INVENTORY_TIMEOUT",
  "DELIVERY_FAILED",
  "DELIVERY_TIMEOUT",
  "CUSTOMER_REQUEST",
]);

export const CancelOrderRequested = defineEvent(
  "CancelOrderRequested",
  { ...orders, topic: "order-commands", description: "Cancel an order that is not completed." },
  z.object({ orderId: Id, code: OrderCancellationCode, reason: Reason }),
).build();

export const OrderCancelled = defineEvent(
  "OrderCancelled",
  { ...orders, topic: "order-events", description: "An order ended without fulfilment." },
  z.object({ orderId: Id, customerId: Id, code: OrderCancellationCode, reason: Reason }),
).build();

export const CompleteOrderRequested = defineEvent(
  "CompleteOrderRequested",
  { ...orders, topic: "order-commands", description: "Mark a fulfilled order as completed." },
  z.object({ orderId: Id, deliveryId: Id }),
).build();

export const OrderCompleted = defineEvent(
  "OrderCompleted",
  { ...orders, topic: "order-events", description: "An order was paid, stocked and scheduled." },
  z.object({
    orderId: Id,
    customerId: Id,
    totalCents: AmountCents,
    currency: Currency,
    deliveryId: Id,
  }),
).build();

export const OrderCommandRejected = defineEvent(
  "OrderCommandRejected",
  {
    ...orders,
    topic: "order-events",
    description: "A cancel or complete command did not fit the order's state.",
  },
  z.object({
    orderId: Id,
    command: z.enum(["CancelOrderRequested", "CompleteOrderRequested"]),
    code: z.enum(["UNKNOWN_ORDER", "ALREADY_COMPLETED", "ALREADY_CANCELLED"]),
    reason: Reason,
  }),
).build();
