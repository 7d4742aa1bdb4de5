import { topicsOfKind } from "../../events/topics.ts";
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
    // Whatever a handler or the saga committed to an outbox: any fact or command topic.
    { kind: "log", access: "produce", topics: topicsOfKind("events", "commands") },
    { kind: "bus", access: "put-events" },
    { kind: "metrics" },
  ],
});
