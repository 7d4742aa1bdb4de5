import { topicsOfKind } from "../../events/topics.ts";
import { defineFunction, logDefaults } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "fast-lane-ledger",
  description:
    "Records every critical command read from the log with a deadline, so the reconciler can redeliver it if the fast lane never handled it.",
  trigger: {
    kind: "log",
    // Every command topic of the catalog: a command topic added later is ledgered too.
    topics: topicsOfKind("commands"),
    consumerGroup: "duplex-fast-lane-ledger",
    ...logDefaults,
    // Not on any order's path (commands are due after a minute): larger batches, and most of
    // their commands already handled by the fast lane, so nothing to write for them.
    batchingWindowSeconds: 1,
  },
  timeoutSeconds: 60,
  memoryMb: 256,
  resources: [
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "metrics" },
  ],
});
