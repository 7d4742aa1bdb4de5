import { defineFunction, fastLaneDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "inventory-commands",
  description: "Restocks products, reserves, releases and commits stock (fast lane).",
  trigger: {
    kind: "fast-lane",
    commands: [
      "RestockProductRequested",
      "ReserveInventoryRequested",
      "ReleaseInventoryRequested",
      "CommitInventoryRequested",
    ],
    ...fastLaneDefaults,
  },
  timeoutSeconds: 30,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "aggregates", access: "read-write" },
    { kind: "table", table: "idempotency", access: "read-write" },
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "log", access: "produce", topics: ["inventory-events"] },
    { kind: "metrics" },
  ],
});
