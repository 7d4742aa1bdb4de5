import type { Projection } from "../kit/projector.ts";
import type { ViewUpdate } from "../kit/read-models.ts";

/** The minute window of a timestamp: `2026-11-23T10:07`. */
export function minuteOf(timestamp: string): string {
  return new Date(timestamp).toISOString().slice(0, 16);
}

/** The entity that holds the totals over all windows. */
export const TOTALS = "totals";

function count(timestamp: string, add: Record<string, number>): ViewUpdate[] {
  const window = minuteOf(timestamp);
  return [
    { entity: `minute#${window}`, set: { window }, add },
    { entity: TOTALS, add },
  ];
}

/**
 * Orders and revenue per minute window (by the time of each fact) and in total. Revenue is
 * counted when an order completes, in integer cents per currency.
 */
export const salesAnalyticsProjection: Projection = {
  name: "sales-analytics",
  eventTypes: new Set(["OrderPlaced", "OrderCompleted", "OrderCancelled", "OrderRejected"]),
  project(event) {
    switch (event.eventType) {
      case "OrderPlaced":
        return count(event.occurredAt, {
          ordersPlaced: 1,
          [`placedCents_${event.data.currency}`]: event.data.totalCents,
        });
      case "OrderCompleted":
        return count(event.occurredAt, {
          ordersCompleted: 1,
          [`revenueCents_${event.data.currency}`]: event.data.totalCents,
        });
      case "OrderCancelled":
        return count(event.occurredAt, { ordersCancelled: 1 });
      case "OrderRejected":
        return event.data.code === "DUPLICATE_ORDER"
          ? []
          : count(event.occurredAt, { ordersRejected: 1 });
      default:
        return [];
    }
  },
};
