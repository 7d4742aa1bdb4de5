import { defineFunction, logDefaults } from "../kit/declarations.ts";

const commandTopics = [
  "customer-commands",
  "order-commands",
  "inventory-commands",
  "payment-commands",
  "delivery-commands",
] as const;

export const declaration = defineFunction({
  name: "fast-lane-ledger",
  description:
    "Records every critical command read from the log with a deadline, so the reconciler can redeliver it if the fast lane never handled it.",
  trigger: {
    kind: "log",
    topics: commandTopics,
    consumerGroup: "duplex-fast-lane-ledger",
    ...logDefaults,
  },
  timeoutSeconds: 60,
  memoryMb: 256,
  resources: [
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "log", access: "consume", topics: commandTopics },
    { kind: "metrics" },
  ],
});
