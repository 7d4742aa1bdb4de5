import type { CommandDraft, FactName } from "./drafts.ts";
import type { Address, OrderCancellationCode, PricedItem } from "./orders.ts";

/**
 * The state of the order-fulfilment saga and what it waits for. The saga itself (how facts and
 * deadlines move it) is in `order-saga.ts`.
 */

/**
 * Where an order's fulfilment is. Happy path: RESERVING → PAYING → SCHEDULING → COMMITTING →
 * COMPLETING → COMPLETED. Compensation runs backwards: REFUNDING → RELEASING → CANCELLING →
 * CANCELLED. FAILED means the saga gave up and an operator has to look.
 */
export const sagaStatuses = [
  "RESERVING",
  "PAYING",
  "SCHEDULING",
  "COMMITTING",
  "COMPLETING",
  "COMPLETED",
  "REFUNDING",
  "RELEASING",
  "CANCELLING",
  "CANCELLED",
  "FAILED",
] as const;
export type SagaStatus = (typeof sagaStatuses)[number];

/** Statuses the saga never leaves. */
export const terminalStatuses: readonly SagaStatus[] = ["COMPLETED", "CANCELLED", "FAILED"];

/**
 * What the current deadline stands for. PAYING has two candidates (the reservation's expiry and
 * the payment timeout) and the cancellation code depends on which came first.
 */
export type DeadlineKind = "INVENTORY" | "PAYMENT" | "RESERVATION_EXPIRY" | "DELIVERY" | "STEP";

/** The commands the saga issues. */
export type SagaCommandName =
  | "ReserveInventoryRequested"
  | "ProcessPaymentRequested"
  | "ScheduleDeliveryRequested"
  | "CommitInventoryRequested"
  | "CompleteOrderRequested"
  | "RefundPaymentRequested"
  | "ReleaseInventoryRequested"
  | "CancelOrderRequested";
export type SagaCommand = CommandDraft<SagaCommandName>;

/** Why an order is being (or was) cancelled. */
export interface Cancellation {
  readonly code: OrderCancellationCode;
  readonly reason: string;
}

/**
 * One order's saga. A plain JSON object (no `Date`, no `undefined` values), stored with a version
 * by the runtime. Optional fields are absent until known.
 */
export interface OrderSagaState {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: SagaStatus;
  readonly items: readonly PricedItem[];
  readonly totalCents: number;
  readonly currency: string;
  readonly shippingAddress: Address;
  readonly paymentToken: string;
  /** Set once a reservation is known to exist (even a late one that the saga released). */
  readonly reservationExpiresAt?: string;
  /** Set once a capture is known (even a late one that the saga refunded). */
  readonly paymentCaptured: boolean;
  readonly deliveryId?: string;
  readonly cancellation?: Cancellation;
  /** ISO timestamp after which the sweep acts; absent in terminal states. */
  readonly deadlineAt?: string;
  readonly deadlineKind?: DeadlineKind;
  /** How often the current step's command was re-sent. */
  readonly reissues: number;
  /** The command of the current step, re-sent when its reply is overdue. */
  readonly lastCommand?: SagaCommand;
  /** Why the saga is FAILED, for the operator. */
  readonly failureReason?: string;
}

/**
 * How long the saga waits, and how the hold is sized. Defaults suit AWS (a Lambda cold start, a
 * retry from a DLQ); the local demo passes shorter ones.
 */
export interface SagaTimeouts {
  /** From `ReserveInventoryRequested` to its answer. */
  readonly inventoryMs: number;
  /** From `ProcessPaymentRequested` to its answer (the hold's expiry may come first). */
  readonly paymentMs: number;
  /** From `ScheduleDeliveryRequested` to its answer. */
  readonly deliveryMs: number;
  /** For every other step (commit, complete, refund, release, cancel) before a re-send. */
  readonly stepMs: number;
  /** How long inventory holds stock for an order. */
  readonly holdSeconds: number;
  /** Re-sends of a step's command before the saga gives up (FAILED). */
  readonly maxReissues: number;
}

export const defaultSagaTimeouts: SagaTimeouts = {
  inventoryMs: 60_000,
  paymentMs: 60_000,
  deliveryMs: 60_000,
  stepMs: 60_000,
  holdSeconds: 600,
  maxReissues: 5,
};

/**
 * Whether a status is final.
 *
 * @example
 * ```ts
 * isTerminal("CANCELLED"); // true
 * isTerminal("REFUNDING"); // false
 * ```
 */
export function isTerminal(status: SagaStatus): boolean {
  return terminalStatuses.includes(status);
}

const awaited: { readonly [S in SagaStatus]: readonly FactName[] } = {
  RESERVING: ["InventoryReserved", "InventoryReservationFailed"],
  PAYING: ["PaymentProcessed", "PaymentFailed"],
  SCHEDULING: ["DeliveryScheduled", "DeliverySchedulingFailed"],
  COMMITTING: ["InventoryCommitted", "InventoryCommandRejected"],
  COMPLETING: ["OrderCompleted", "OrderCommandRejected"],
  REFUNDING: ["PaymentRefunded", "PaymentCommandRejected"],
  RELEASING: ["InventoryReleased", "InventoryCommandRejected"],
  CANCELLING: ["OrderCancelled", "OrderCommandRejected"],
  COMPLETED: [],
  CANCELLED: [],
  FAILED: [],
};

/**
 * The facts that move a saga on from where it is: the answers to its last command (an
 * `OrderCancelled` from outside is handled too, but never awaited).
 *
 * @example
 * ```ts
 * awaitedFacts({ ...saga, status: "PAYING" }); // ["PaymentProcessed", "PaymentFailed"]
 * awaitedFacts({ ...saga, status: "COMPLETED" }); // []
 * ```
 */
export function awaitedFacts(state: Pick<OrderSagaState, "status">): readonly FactName[] {
  return awaited[state.status];
}
