import { defineFunction, logDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "customer-orders-projector",
  description: "Read model: each customer's order history.",
  trigger: {
    kind: "log",
    topics: ["customer-events", "order-events"],
    consumerGroup: "duplex-customer-orders-projector",
    ...logDefaults,
  },
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [{ kind: "table", table: "read-models", access: "read-write" }, { kind: "metrics" }],
});
