import { defineFunction, fastLaneDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "payment-commands",
  description: "Captures and refunds payments (fast lane).",
  trigger: {
    kind: "fast-lane",
    commands: ["ProcessPaymentRequested", "RefundPaymentRequested"],
    ...fastLaneDefaults,
  },
  timeoutSeconds: 30,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "aggregates", access: "read-write" },
    { kind: "table", table: "idempotency", access: "read-write" },
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "log", access: "produce", topics: ["payment-events"] },
    { kind: "metrics" },
  ],
});
