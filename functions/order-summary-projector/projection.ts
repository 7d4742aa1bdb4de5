import type { AnyEvent } from "../../events/types.ts";
import type { Projection } from "../kit/projector.ts";
import type { ViewUpdate } from "../kit/read-models.ts";

/**
 * One summary per order: status, items, totals, and the state of its reservation, payment and
 * delivery, with a timeline. Each field is written by the events of one aggregate only (which are
 * ordered on the log), and timeline entries are sub-items keyed by time and event id, so the
 * summary does not depend on how partitions of different topics interleave: a rebuild from the
 * start of the log gives the same result.
 */
function timeline(event: AnyEvent, orderId: string, detail: string): ViewUpdate {
  return {
    entity: orderId,
    sk: `t#${event.occurredAt}#${event.eventId}`,
    set: { at: event.occurredAt, eventType: event.eventType, detail },
  };
}

function view(orderId: string, set: Record<string, unknown>): ViewUpdate {
  return { entity: orderId, set: { orderId, ...set } };
}

export const orderSummaryProjection: Projection = {
  name: "order-summary",
  eventTypes: new Set([
    "OrderPlaced",
    "OrderRejected",
    "OrderCancelled",
    "OrderCompleted",
    "InventoryReserved",
    "InventoryReservationFailed",
    "InventoryReleased",
    "InventoryCommitted",
    "PaymentInitiated",
    "PaymentProcessed",
    "PaymentFailed",
    "PaymentRefunded",
    "DeliveryScheduled",
    "DeliverySchedulingFailed",
  ]),
  project(event) {
    switch (event.eventType) {
      case "OrderPlaced": {
        const { orderId, customerId, items, totalCents, currency } = event.data;
        return [
          view(orderId, {
            customerId,
            status: "PLACED",
            items,
            totalCents,
            currency,
            placedAt: event.occurredAt,
          }),
          timeline(event, orderId, `${items.length} line(s), ${totalCents} ${currency} cents`),
        ];
      }
      case "OrderRejected": {
        const { orderId, customerId, code, reason } = event.data;
        if (code === "DUPLICATE_ORDER") return [timeline(event, orderId, `duplicate: ${reason}`)];
        return [
          view(orderId, { customerId, status: "REJECTED", rejection: { code, reason } }),
          timeline(event, orderId, `${code}: ${reason}`),
        ];
      }
      case "OrderCancelled": {
        const { orderId, code, reason } = event.data;
        return [
          view(orderId, {
            status: "CANCELLED",
            cancellation: { code, reason },
            endedAt: event.occurredAt,
          }),
          timeline(event, orderId, `${code}: ${reason}`),
        ];
      }
      case "OrderCompleted": {
        const { orderId, deliveryId } = event.data;
        return [
          view(orderId, { status: "COMPLETED", endedAt: event.occurredAt }),
          timeline(event, orderId, `delivery ${deliveryId}`),
        ];
      }
      case "InventoryReserved":
        return [
          view(event.data.orderId, { inventory: "RESERVED", reservedUntil: event.data.expiresAt }),
          timeline(event, event.data.orderId, `held until ${event.data.expiresAt}`),
        ];
      case "InventoryReservationFailed":
        return [
          view(event.data.orderId, { inventory: "UNAVAILABLE" }),
          timeline(event, event.data.orderId, `${event.data.code}: ${event.data.reason}`),
        ];
      case "InventoryReleased":
        return [
          view(event.data.orderId, { inventory: "RELEASED" }),
          timeline(event, event.data.orderId, event.data.reason),
        ];
      case "InventoryCommitted":
        return [
          view(event.data.orderId, { inventory: "SHIPPED" }),
          timeline(event, event.data.orderId, `for delivery ${event.data.deliveryId}`),
        ];
      case "PaymentInitiated":
        return [
          view(event.data.orderId, { payment: "PENDING" }),
          timeline(
            event,
            event.data.orderId,
            `${event.data.amountCents} ${event.data.currency} cents`,
          ),
        ];
      case "PaymentProcessed":
        return [
          view(event.data.orderId, { payment: "CAPTURED", paidCents: event.data.amountCents }),
          timeline(event, event.data.orderId, `payment ${event.data.paymentId}`),
        ];
      case "PaymentFailed":
        return [
          view(event.data.orderId, { payment: "FAILED" }),
          timeline(event, event.data.orderId, `${event.data.code}: ${event.data.reason}`),
        ];
      case "PaymentRefunded":
        return [
          view(event.data.orderId, { payment: "REFUNDED", refundedCents: event.data.amountCents }),
          timeline(event, event.data.orderId, `${event.data.amountCents} cents back`),
        ];
      case "DeliveryScheduled":
        return [
          view(event.data.orderId, {
            delivery: "SCHEDULED",
            deliveryId: event.data.deliveryId,
            carrier: event.data.carrier,
            estimatedDeliveryDate: event.data.estimatedDeliveryDate,
          }),
          timeline(
            event,
            event.data.orderId,
            `${event.data.carrier}, ${event.data.estimatedDeliveryDate}`,
          ),
        ];
      case "DeliverySchedulingFailed":
        return [
          view(event.data.orderId, { delivery: "FAILED" }),
          timeline(event, event.data.orderId, `${event.data.code}: ${event.data.reason}`),
        ];
      default:
        return [];
    }
  },
};
