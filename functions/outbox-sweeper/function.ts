import { defineFunction } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "outbox-sweeper",
  description:
    "Publishes events that were committed with their state change but not yet published (a crash between commit and publish).",
  trigger: { kind: "schedule", everyMinutes: 1, localEverySeconds: 2 },
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "aggregates", access: "read-write" },
    { kind: "table", table: "sagas", access: "read-write" },
    {
      kind: "log",
      access: "produce",
      topics: [
        "customer-events",
        "order-events",
        "inventory-events",
        "payment-events",
        "delivery-events",
        "order-commands",
        "inventory-commands",
        "payment-commands",
        "delivery-commands",
      ],
    },
    { kind: "bus", access: "put-events" },
    { kind: "metrics" },
  ],
});
