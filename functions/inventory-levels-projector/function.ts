import { defineFunction, logDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "inventory-levels-projector",
  description: "Read model: available, reserved and shipped units per product.",
  trigger: {
    kind: "log",
    topics: ["inventory-events"],
    consumerGroup: "duplex-inventory-levels-projector",
    ...logDefaults,
  },
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [{ kind: "table", table: "read-models", access: "read-write" }, { kind: "metrics" }],
});
