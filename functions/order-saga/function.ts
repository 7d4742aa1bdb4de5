import { topicsOf } from "../../events/registry.ts";
import type { FactName } from "../domain/drafts.ts";
import type { SagaCommandName } from "../domain/order-saga.ts";
import type { LogTrigger } from "../kit/declarations.ts";
import { defineFunction, logDefaults } from "../kit/declarations.ts";

/** The facts the saga reads; its topics are those of these facts. */
export const sagaFacts = [
  "OrderPlaced",
  "OrderCancelled",
  "OrderCompleted",
  "OrderCommandRejected",
  "InventoryReserved",
  "InventoryReservationFailed",
  "InventoryReleased",
  "InventoryCommitted",
  "InventoryCommandRejected",
  "PaymentProcessed",
  "PaymentFailed",
  "PaymentRefunded",
  "PaymentCommandRejected",
  "DeliveryScheduled",
  "DeliverySchedulingFailed",
] as const satisfies readonly FactName[];

/**
 * The commands the saga (and its deadline sweeper) issues; the topics it may write are theirs.
 * A unit test checks that this lists every `SagaCommandName`.
 */
export const sagaCommands = [
  "ReserveInventoryRequested",
  "ProcessPaymentRequested",
  "ScheduleDeliveryRequested",
  "CommitInventoryRequested",
  "CompleteOrderRequested",
  "RefundPaymentRequested",
  "ReleaseInventoryRequested",
  "CancelOrderRequested",
] as const satisfies readonly SagaCommandName[];

/** The saga's input: the topics of its facts. Its deadline sweeper reads where it stands on them. */
export const sagaTrigger: LogTrigger = {
  kind: "log",
  topics: topicsOf(sagaFacts),
  consumerGroup: "duplex-order-saga",
  ...logDefaults,
};

export const declaration = defineFunction({
  name: "order-saga",
  description: "Orchestrates order fulfilment: reacts to facts and issues the next command.",
  trigger: sagaTrigger,
  timeoutSeconds: 60,
  memoryMb: 512,
  resources: [
    { kind: "table", table: "sagas", access: "read-write" },
    { kind: "log", access: "produce", topics: topicsOf(sagaCommands) },
    { kind: "bus", access: "put-events" },
    { kind: "metrics" },
  ],
});
