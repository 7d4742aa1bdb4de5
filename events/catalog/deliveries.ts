import { z } from "zod";
import { defineEvent } from "../define.ts";
import { Address, Id, Reason, ReservedItem } from "./shared.ts";

/** One delivery per order; the delivery's aggregate id is the order id. */
const deliveries = {
  domain: "deliveries",
  aggregateType: "Delivery",
  aggregateIdField: "orderId",
} as const;

export const ScheduleDeliveryRequested = defineEvent(
  "ScheduleDeliveryRequested",
  { ...deliveries, topic: "delivery-commands", description: "Book a carrier for an order." },
  z.object({ orderId: Id, address: Address, items: z.array(ReservedItem).min(1) }),
).build();

export const DeliveryScheduled = defineEvent(
  "DeliveryScheduled",
  { ...deliveries, topic: "delivery-events", description: "A carrier will deliver the order." },
  z.object({
    orderId: Id,
    deliveryId: Id,
    carrier: z.string().min(1),
    estimatedDeliveryDate: z.iso.date(),
  }),
).build();

export const DeliverySchedulingFailed = defineEvent(
  "DeliverySchedulingFailed",
  { ...deliveries, topic: "delivery-events", description: "No carrier can deliver the order." },
  z.object({ orderId: Id, code: z.enum(["ADDRESS_UNSERVICEABLE"]), reason: Reason }),
).build();
