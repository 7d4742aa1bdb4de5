import { defineFunction, fastLaneDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "customer-commands",
  description: "Registers customers (fast lane).",
  trigger: {
    kind: "fast-lane",
    commands: ["RegisterCustomerRequested"],
    ...fastLaneDefaults,
  },
  timeoutSeconds: 30,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "aggregates", access: "read-write" },
    { kind: "table", table: "idempotency", access: "read-write" },
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "log", access: "produce", topics: ["customer-events"] },
    { kind: "metrics" },
  ],
});
