import { topicsOf } from "../../events/registry.ts";
import { defineFunction, positionsOf } from "../kit/declarations.ts";
import { sagaCommands, sagaTrigger } from "../order-saga/function.ts";

export const declaration = defineFunction({
  name: "saga-sweeper",
  description:
    "Enforces saga deadlines (reservation hold, payment or delivery that never answers) in stream time: a deadline fires once the saga has read its inputs up to it.",
  trigger: { kind: "schedule", everyMinutes: 1, localEverySeconds: 1 },
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "sagas", access: "read-write" },
    // When a step's command was handled: the step's clock starts there.
    { kind: "table", table: "command-ledger", access: "read" },
    // The saga's watermark: its consumer groups' committed offsets against the log.
    positionsOf(sagaTrigger),
    { kind: "log", access: "produce", topics: topicsOf(sagaCommands) },
    { kind: "bus", access: "put-events" },
    { kind: "metrics" },
  ],
});
