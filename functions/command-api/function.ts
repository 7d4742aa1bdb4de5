import { FAST_LANE_MAX_ENTRY_BYTES } from "../../events/limits.ts";
import { allEventDefinitions } from "../../events/registry.ts";
import type { TopicName } from "../../events/topics.ts";
import { defineFunction } from "../kit/declarations.ts";

/** The topics of every critical command: what the command API may append to. */
const commandTopics = [
  ...new Set(allEventDefinitions().flatMap((d) => (d.critical ? [d.topic as TopicName] : []))),
];

export const declaration = defineFunction({
  name: "command-api",
  description:
    "HTTP command API: POST /commands/{type} validates against the catalog, honours Idempotency-Key, publishes log first, answers 202 (503 when the log does not acknowledge).",
  trigger: {
    kind: "http",
    routes: [{ method: "POST", path: "/commands/{type}" }],
    // A command's data can be no larger than the fast lane's entry (the envelope adds a little).
    maxBodyBytes: FAST_LANE_MAX_ENTRY_BYTES,
  },
  // Under API Gateway's 30 s integration timeout: a log outage is answered 503, not 504.
  timeoutSeconds: 28,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "idempotency", access: "read-write" },
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "log", access: "produce", topics: commandTopics },
    { kind: "bus", access: "put-events" },
    { kind: "metrics" },
  ],
});
