import { topicsOf } from "../../events/registry.ts";
import { defineFunction } from "../kit/declarations.ts";
import { sagaCommands } from "../order-saga/function.ts";

export const declaration = defineFunction({
  name: "saga-sweeper",
  description:
    "Enforces saga deadlines (reservation hold, payment or delivery that never answers) by issuing the compensation.",
  trigger: { kind: "schedule", everyMinutes: 1, localEverySeconds: 1 },
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "sagas", access: "read-write" },
    { kind: "log", access: "produce", topics: topicsOf(sagaCommands) },
    { kind: "bus", access: "put-events" },
    { kind: "metrics" },
  ],
});
