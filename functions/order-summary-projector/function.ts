import { defineFunction, logDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "order-summary-projector",
  description: "Read model: one summary per order (status, items, totals, timeline).",
  trigger: {
    kind: "log",
    topics: ["order-events", "inventory-events", "payment-events", "delivery-events"],
    consumerGroup: "duplex-order-summary-projector",
    ...logDefaults,
  },
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [{ kind: "table", table: "read-models", access: "read-write" }, { kind: "metrics" }],
});
