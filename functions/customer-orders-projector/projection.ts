import type { Projection } from "../kit/projector.ts";

/**
 * Each customer's order history: the customer's details and counters on the `view` item, one
 * sub-item per order (`order#<id>`) with its status and total.
 */
export const customerOrdersProjection: Projection = {
  name: "customer-orders",
  eventTypes: new Set([
    "CustomerRegistered",
    "OrderPlaced",
    "OrderRejected",
    "OrderCancelled",
    "OrderCompleted",
  ]),
  project(event) {
    switch (event.eventType) {
      case "CustomerRegistered": {
        const { customerId, name, email } = event.data;
        return [
          { entity: customerId, set: { customerId, name, email, registeredAt: event.occurredAt } },
        ];
      }
      case "OrderPlaced": {
        const { customerId, orderId, totalCents, currency } = event.data;
        return [
          { entity: customerId, add: { ordersPlaced: 1 } },
          {
            entity: customerId,
            sk: `order#${orderId}`,
            set: { orderId, status: "PLACED", totalCents, currency, placedAt: event.occurredAt },
          },
        ];
      }
      case "OrderRejected": {
        const { customerId, orderId, code } = event.data;
        if (code === "DUPLICATE_ORDER") return [];
        return [
          { entity: customerId, add: { ordersRejected: 1 } },
          {
            entity: customerId,
            sk: `order#${orderId}`,
            set: { orderId, status: "REJECTED", code },
          },
        ];
      }
      case "OrderCancelled": {
        const { customerId, orderId, code } = event.data;
        return [
          { entity: customerId, add: { ordersCancelled: 1 } },
          { entity: customerId, sk: `order#${orderId}`, set: { status: "CANCELLED", code } },
        ];
      }
      case "OrderCompleted": {
        const { customerId, orderId, totalCents } = event.data;
        return [
          { entity: customerId, add: { ordersCompleted: 1, spentCents: totalCents } },
          { entity: customerId, sk: `order#${orderId}`, set: { status: "COMPLETED" } },
        ];
      }
      default:
        return [];
    }
  },
};
