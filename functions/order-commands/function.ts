import { defineFunction, fastLaneDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "order-commands",
  description: "Places, cancels and completes orders (fast lane).",
  trigger: {
    kind: "fast-lane",
    commands: ["PlaceOrderRequested", "CancelOrderRequested", "CompleteOrderRequested"],
    ...fastLaneDefaults,
  },
  timeoutSeconds: 30,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "aggregates", access: "read-write" },
    { kind: "table", table: "idempotency", access: "read-write" },
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "log", access: "produce", topics: ["order-events"] },
    { kind: "metrics" },
  ],
});
