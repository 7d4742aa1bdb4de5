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
  },
  timeoutSeconds: 60,
  memoryMb: 256,
  resources: [
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "metrics" },
  ],
});
