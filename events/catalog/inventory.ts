import { z } from "zod";
import { defineEvent } from "../define.ts";
import { AmountCents, Id, Reason, RequestedItem, ReservedItem } from "./shared.ts";

const products = {
  domain: "inventory",
  aggregateType: "Product",
  aggregateIdField: "productId",
} as const;
/** A reservation is the stock held for one order; its id is the order id. */
const reservations = {
  domain: "inventory",
  aggregateType: "Reservation",
  aggregateIdField: "orderId",
} as const;

export const RestockProductRequested = defineEvent(
  "RestockProductRequested",
  {
    ...products,
    topic: "inventory-commands",
    description: "Add units of a product (creates it on first restock).",
  },
  z.object({
    productId: Id,
    name: z.string().min(1).max(256),
    unitPriceCents: AmountCents,
    quantity: z.number().int().positive(),
  }),
).build();

export const ProductRestocked = defineEvent(
  "ProductRestocked",
  { ...products, topic: "inventory-events", description: "Units of a product were added." },
  z.object({
    productId: Id,
    name: z.string().min(1).max(256),
    unitPriceCents: AmountCents,
    quantity: z.number().int().positive(),
  }),
).build();

export const ReserveInventoryRequested = defineEvent(
  "ReserveInventoryRequested",
  { ...reservations, topic: "inventory-commands", description: "Hold stock for an order." },
  z.object({
    orderId: Id,
    items: z.array(RequestedItem).min(1),
    holdSeconds: z.number().int().min(1).max(86_400).default(600),
  }),
).build();

export const InventoryReserved = defineEvent(
  "InventoryReserved",
  { ...reservations, topic: "inventory-events", description: "Stock is held for an order." },
  z.object({ orderId: Id, items: z.array(ReservedItem).min(1), expiresAt: z.iso.datetime() }),
).build();

export const InventoryReservationFailed = defineEvent(
  "InventoryReservationFailed",
  {
    ...reservations,
    topic: "inventory-events",
    description: "Stock could not be held; nothing was reserved.",
  },
  z.object({
    orderId: Id,
    code: z.enum(["INSUFFICIENT_STOCK", "UNKNOWN_PRODUCT", "INVALID_QUANTITY"]),
    reason: Reason,
    shortages: z.array(
      z.object({
        productId: Id,
        requested: z.number().int(),
        available: z.number().int().min(0),
      }),
    ),
  }),
).build();

export const ReleaseInventoryRequested = defineEvent(
  "ReleaseInventoryRequested",
  { ...reservations, topic: "inventory-commands", description: "Give held stock back." },
  z.object({ orderId: Id, reason: Reason }),
).build();

export const InventoryReleased = defineEvent(
  "InventoryReleased",
  {
    ...reservations,
    topic: "inventory-events",
    description: "Held stock went back to available.",
  },
  z.object({ orderId: Id, items: z.array(ReservedItem), reason: Reason }),
).build();

export const CommitInventoryRequested = defineEvent(
  "CommitInventoryRequested",
  {
    ...reservations,
    topic: "inventory-commands",
    description: "Turn held stock into shipped stock once delivery is scheduled.",
  },
  z.object({ orderId: Id, deliveryId: Id }),
).build();

export const InventoryCommitted = defineEvent(
  "InventoryCommitted",
  { ...reservations, topic: "inventory-events", description: "Held stock was shipped." },
  z.object({ orderId: Id, items: z.array(ReservedItem).min(1), deliveryId: Id }),
).build();

export const InventoryCommandRejected = defineEvent(
  "InventoryCommandRejected",
  {
    ...reservations,
    topic: "inventory-events",
    description: "A release or commit did not fit the reservation's state.",
  },
  z.object({
    orderId: Id,
    command: z.enum(["ReleaseInventoryRequested", "CommitInventoryRequested"]),
    code: z.enum([
      "NO_RESERVATION",
      "ALREADY_RELEASED",
      "ALREADY_COMMITTED",
      "RESERVATION_EXPIRED",
    ]),
    reason: Reason,
  }),
).build();
