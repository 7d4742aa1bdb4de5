import type { EventInput } from "../../events/create.ts";
import { createEvent } from "../../events/create.ts";
import type { AnyEvent, EventTypeName } from "../../events/types.ts";

const address = { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const items = [
  { productId: "p-1", quantity: 2 },
  { productId: "p-2", quantity: 1 },
];
const priced = [
  { productId: "p-1", quantity: 2, unitPriceCents: 1250 },
  { productId: "p-2", quantity: 1, unitPriceCents: 999 },
];

/**
 * Valid data for every catalog type. The mapped type makes a new catalog type without a sample a
 * compile error, so "every catalog type" tests stay complete.
 */
export const sampleData: { readonly [T in EventTypeName]: EventInput<T> } = {
  RegisterCustomerRequested: { customerId: "c-1", name: "Ada", email: "ada@example.com" },
  CustomerRegistered: { customerId: "c-1", name: "Ada", email: "ada@example.com" },
  CustomerRegistrationRejected: {
    customerId: "c-1",
    code: "DUPLICATE_CUSTOMER",
    reason: "already registered",
  },
  PlaceOrderRequested: {
    orderId: "o-1",
    customerId: "c-1",
    items,
    shippingAddress: address,
    paymentToken: "tok_visa",
  },
  OrderPlaced: {
    orderId: "o-1",
    customerId: "c-1",
    items: priced,
    totalCents: 3499,
    shippingAddress: address,
    paymentToken: "tok_visa",
    currency: "EUR",
  },
  OrderRejected: {
    orderId: "o-1",
    customerId: "c-1",
    code: "UNKNOWN_PRODUCT",
    reason: "no product p-9",
  },
  CancelOrderRequested: { orderId: "o-1", code: "PAYMENT_FAILED", reason: "card declined" },
  OrderCancelled: {
    orderId: "o-1",
    customerId: "c-1",
    code: "PAYMENT_FAILED",
    reason: "card declined",
  },
  CompleteOrderRequested: { orderId: "o-1", deliveryId: "d-1" },
  OrderCompleted: {
    orderId: "o-1",
    customerId: "c-1",
    totalCents: 3499,
    currency: "EUR",
    deliveryId: "d-1",
  },
  OrderCommandRejected: {
    orderId: "o-1",
    command: "CancelOrderRequested",
    code: "ALREADY_COMPLETED",
    reason: "order o-1 is completed",
  },
  RestockProductRequested: { productId: "p-1", name: "Kettle", unitPriceCents: 1250, quantity: 10 },
  ProductRestocked: { productId: "p-1", name: "Kettle", unitPriceCents: 1250, quantity: 10 },
  ReserveInventoryRequested: { orderId: "o-1", items, holdSeconds: 600 },
  InventoryReserved: {
    orderId: "o-1",
    items,
    expiresAt: "2026-11-23T10:10:00.000Z",
  },
  InventoryReservationFailed: {
    orderId: "o-1",
    code: "INSUFFICIENT_STOCK",
    reason: "p-1: 2 requested, 1 available",
    shortages: [{ productId: "p-1", requested: 2, available: 1 }],
  },
  ReleaseInventoryRequested: { orderId: "o-1", reason: "payment failed" },
  InventoryReleased: { orderId: "o-1", items, reason: "payment failed" },
  CommitInventoryRequested: { orderId: "o-1", deliveryId: "d-1" },
  InventoryCommitted: { orderId: "o-1", items, deliveryId: "d-1" },
  InventoryCommandRejected: {
    orderId: "o-1",
    command: "CommitInventoryRequested",
    code: "NO_RESERVATION",
    reason: "nothing held for o-1",
  },
  ProcessPaymentRequested: {
    orderId: "o-1",
    customerId: "c-1",
    amountCents: 3499,
    currency: "EUR",
    paymentToken: "tok_visa",
  },
  PaymentInitiated: { orderId: "o-1", amountCents: 3499, currency: "EUR" },
  PaymentProcessed: { orderId: "o-1", paymentId: "pay-1", amountCents: 3499, currency: "EUR" },
  PaymentFailed: { orderId: "o-1", code: "CARD_DECLINED", reason: "declined by issuer" },
  RefundPaymentRequested: { orderId: "o-1", reason: "delivery impossible" },
  PaymentRefunded: { orderId: "o-1", paymentId: "pay-1", amountCents: 3499, currency: "EUR" },
  PaymentCommandRejected: {
    orderId: "o-1",
    command: "RefundPaymentRequested",
    code: "NOTHING_CAPTURED",
    reason: "no capture for o-1",
  },
  ScheduleDeliveryRequested: { orderId: "o-1", address, items },
  DeliveryScheduled: {
    orderId: "o-1",
    deliveryId: "d-1",
    carrier: "DHL",
    estimatedDeliveryDate: "2026-11-26",
  },
  DeliverySchedulingFailed: {
    orderId: "o-1",
    code: "ADDRESS_UNSERVICEABLE",
    reason: "no carrier serves XX",
  },
};

/** A valid event of a type, with sample data (override the aggregate via `data`). */
export function sampleEvent<T extends EventTypeName>(type: T, data?: Partial<EventInput<T>>) {
  return createEvent(type, { ...(sampleData[type] as object), ...data } as EventInput<T>);
}

/** One valid event of every catalog type. */
export function oneOfEachType(): AnyEvent[] {
  return (Object.keys(sampleData) as EventTypeName[]).map((t) => sampleEvent(t) as AnyEvent);
}
