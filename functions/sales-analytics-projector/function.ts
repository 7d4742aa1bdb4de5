import { defineFunction, logDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "sales-analytics-projector",
  description: "Read model: orders and revenue per minute window.",
  trigger: {
    kind: "log",
    topics: ["order-events"],
    consumerGroup: "duplex-sales-analytics-projector",
    ...logDefaults,
  },
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [{ kind: "table", table: "read-models", access: "read-write" }, { kind: "metrics" }],
});
