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

/** What a step waits for: an answer from inventory, payment, delivery, or any other step's. */
export type StepKind = "INVENTORY" | "PAYMENT" | "DELIVERY" | "STEP";

/**
 * What the current deadline stands for: a step's answer, or (PAYING) the reservation's expiry;
 * the cancellation code depends on which came first.
 */
export type DeadlineKind = StepKind | "RESERVATION_EXPIRY";

/**
 * The clock of the current step. The step's time starts when a handler has handled its command,
 * not when the saga issued it: a command that waits in a queue of ours is our lag, not the step's
 * silence. See `saga-deadlines.ts` for how deadlines are judged.
 */
export interface SagaStep {
  readonly kind: StepKind;
  /** How long the step may take once its command was handled. */
  readonly timeoutMs: number;
  /** When the saga issued the step's command (ISO). */
  readonly issuedAt: string;
  /**
   * Event id of the step's command, set by the runtime when it gives the command its envelope.
   * Without it the step's clock starts at `issuedAt`.
   */
  readonly commandId?: string;
  /** When a handler first handled that command (the command ledger's `handledAt`), once known. */
  readonly handledAt?: string;
}

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
  /**
   * The current deadline as far as the saga knows (ISO): the step's timeout from its command's
   * handling (from its issue while the handling is not known yet), or the reservation's expiry if
   * that comes first. It is judged in stream time (`saga-deadlines.ts`). Absent in terminal states.
   */
  readonly deadlineAt?: string;
  readonly deadlineKind?: DeadlineKind;
  /** The clock of the current step; absent in terminal states. */
  readonly step?: SagaStep;
  /** How often the current step's command was re-sent. */
  readonly reissues: number;
  /** The command of the current step, re-sent when its reply is overdue. */
  readonly lastCommand?: SagaCommand;
  /** Why the saga is FAILED, for the operator. */
  readonly failureReason?: string;
}

/**
 * How long the saga waits, and how the hold is sized. A step's timeout runs from the moment a
 * handler handled the step's command (see {@link SagaStep}). Defaults suit AWS (a Lambda cold
 * start, a retry from a DLQ); the local demo passes shorter ones.
 */
export interface SagaTimeouts {
  /** From `ReserveInventoryRequested` handled to its answer. */
  readonly inventoryMs: number;
  /** From `ProcessPaymentRequested` handled to its answer (the hold's expiry may come first). */
  readonly paymentMs: number;
  /** From `ScheduleDeliveryRequested` handled to its answer. */
  readonly deliveryMs: number;
  /** For every other step (commit, complete, refund, release, cancel) before a re-send. */
  readonly stepMs: number;
  /** How long inventory holds stock for an order. */
  readonly holdSeconds: number;
  /** Re-sends of a step's command before the saga gives up (FAILED). */
  readonly maxReissues: number;
  /**
   * How long our own lag may hold a deadline before it is decided on the wall clock (degraded):
   * an input partition of the saga without progress for this long while behind, or a step's
   * command still not handled this long after its nominal deadline.
   */
  readonly stallGraceMs: number;
}

export const defaultSagaTimeouts: SagaTimeouts = {
  inventoryMs: 60_000,
  paymentMs: 60_000,
  deliveryMs: 60_000,
  stepMs: 60_000,
  holdSeconds: 600,
  maxReissues: 5,
  // The fast lane's reconciler re-sends a lost command within its 60 s deadline plus a minute,
  // up to 3 times: a command still unhandled after 10 minutes is in a DLQ, not in a queue.
  stallGraceMs: 600_000,
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
