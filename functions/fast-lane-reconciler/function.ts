import { defineFunction } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "fast-lane-reconciler",
  description:
    "Redelivers critical commands whose handling was not recorded before their deadline, straight to their fast-lane queue.",
  trigger: { kind: "schedule", everyMinutes: 1, localEverySeconds: 2 },
  timeoutSeconds: 60,
  memoryMb: 256,
  resources: [
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "fast-lane-queues", access: "send" },
    { kind: "metrics" },
  ],
});
