import { defineFunction, fastLaneDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "delivery-commands",
  description: "Schedules deliveries (fast lane).",
  trigger: {
    kind: "fast-lane",
    commands: ["ScheduleDeliveryRequested"],
    ...fastLaneDefaults,
  },
  timeoutSeconds: 30,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "aggregates", access: "read-write" },
    { kind: "table", table: "idempotency", access: "read-write" },
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "log", access: "produce", topics: ["delivery-events"] },
    { kind: "metrics" },
  ],
});
