import { defineFunction, logDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "order-saga",
  description: "Orchestrates order fulfilment: reacts to facts and issues the next command.",
  trigger: {
    kind: "log",
    topics: ["order-events", "inventory-events", "payment-events", "delivery-events"],
    consumerGroup: "duplex-order-saga",
    ...logDefaults,
  },
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "sagas", access: "read-write" },
    {
      kind: "log",
      access: "consume",
      topics: ["order-events", "inventory-events", "payment-events", "delivery-events"],
    },
    {
      kind: "log",
      access: "produce",
      topics: ["order-commands", "inventory-commands", "payment-commands", "delivery-commands"],
    },
    { kind: "bus", access: "put-events" },
    { kind: "metrics" },
  ],
});
