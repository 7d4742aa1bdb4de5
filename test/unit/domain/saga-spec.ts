import { expect } from "vitest";
import type { EventDraft, FactName } from "../../../functions/domain/drafts.ts";
import { draft } from "../../../functions/domain/drafts.ts";
import type {
  OrderSagaState,
  SagaCommand,
  SagaStatus,
  SagaTimeouts,
  StreamTime,
} from "../../../functions/domain/order-saga.ts";
import { defaultSagaTimeouts, onDeadline, react } from "../../../functions/domain/order-saga.ts";
import { NOW, toEvent } from "./decider-spec.ts";

/** Facts of order o-1, for the saga's Given/When/Then. */
export const address = { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
export const lines = [
  { productId: "p-1", quantity: 2 },
  { productId: "p-2", quantity: 1 },
];
export const placed = draft("OrderPlaced", {
  orderId: "o-1",
  customerId: "c-1",
  items: [
    { productId: "p-1", quantity: 2, unitPriceCents: 1250 },
    { productId: "p-2", quantity: 1, unitPriceCents: 999 },
  ],
  totalCents: 3499,
  currency: "EUR",
  shippingAddress: address,
  paymentToken: "tok_visa",
});
export const reserved = draft("InventoryReserved", {
  orderId: "o-1",
  items: lines,
  expiresAt: "2026-11-23T10:10:00.000Z",
});
export const reservationFailed = draft("InventoryReservationFailed", {
  orderId: "o-1",
  code: "INSUFFICIENT_STOCK",
  reason: "order o-1: p-1: 2 requested, 1 available",
  shortages: [{ productId: "p-1", requested: 2, available: 1 }],
});
export const processed = draft("PaymentProcessed", {
  orderId: "o-1",
  paymentId: "pay-o-1",
  amountCents: 3499,
  currency: "EUR",
});
export const paymentFailed = draft("PaymentFailed", {
  orderId: "o-1",
  code: "CARD_DECLINED",
  reason: "the card for order o-1 was declined",
});
export const scheduled = draft("DeliveryScheduled", {
  orderId: "o-1",
  deliveryId: "dlv-o-1",
  carrier: "DHL",
  estimatedDeliveryDate: "2026-11-26",
});
export const schedulingFailed = draft("DeliverySchedulingFailed", {
  orderId: "o-1",
  code: "ADDRESS_UNSERVICEABLE",
  reason: "no carrier serves XX 10115 (order o-1)",
});
export const committed = draft("InventoryCommitted", {
  orderId: "o-1",
  items: lines,
  deliveryId: "dlv-o-1",
});
export const completed = draft("OrderCompleted", {
  orderId: "o-1",
  customerId: "c-1",
  totalCents: 3499,
  currency: "EUR",
  deliveryId: "dlv-o-1",
});
export const refunded = draft("PaymentRefunded", {
  orderId: "o-1",
  paymentId: "pay-o-1",
  amountCents: 3499,
  currency: "EUR",
});
export const released = (reason: string) =>
  draft("InventoryReleased", { orderId: "o-1", items: lines, reason });
export const inventoryRejected = (
  command: "ReleaseInventoryRequested" | "CommitInventoryRequested",
  code: "NO_RESERVATION" | "ALREADY_RELEASED" | "ALREADY_COMMITTED" | "RESERVATION_EXPIRED",
  reason = "rejected",
) => draft("InventoryCommandRejected", { orderId: "o-1", command, code, reason });
export const refundRejected = (code: "NOTHING_CAPTURED" | "ALREADY_REFUNDED") =>
  draft("PaymentCommandRejected", {
    orderId: "o-1",
    command: "RefundPaymentRequested",
    code,
    reason: "rejected",
  });
export const orderCancelled = (
  code: EventDraft<"OrderCancelled">["data"]["code"],
  reason = "cancelled",
) => draft("OrderCancelled", { orderId: "o-1", customerId: "c-1", code, reason });
export const orderRejected = (
  command: "CancelOrderRequested" | "CompleteOrderRequested",
  code: "UNKNOWN_ORDER" | "ALREADY_COMPLETED" | "ALREADY_CANCELLED",
) => draft("OrderCommandRejected", { orderId: "o-1", command, code, reason: "rejected" });

/** Commands the saga issues for o-1. */
export const commands = {
  reserve: draft("ReserveInventoryRequested", { orderId: "o-1", items: lines, holdSeconds: 600 }),
  pay: draft("ProcessPaymentRequested", {
    orderId: "o-1",
    customerId: "c-1",
    amountCents: 3499,
    currency: "EUR",
    paymentToken: "tok_visa",
  }),
  schedule: draft("ScheduleDeliveryRequested", { orderId: "o-1", address, items: lines }),
  commit: draft("CommitInventoryRequested", { orderId: "o-1", deliveryId: "dlv-o-1" }),
  complete: draft("CompleteOrderRequested", { orderId: "o-1", deliveryId: "dlv-o-1" }),
  refund: (reason: string) => draft("RefundPaymentRequested", { orderId: "o-1", reason }),
  release: (reason: string) => draft("ReleaseInventoryRequested", { orderId: "o-1", reason }),
  cancel: (code: EventDraft<"CancelOrderRequested">["data"]["code"], reason: string) =>
    draft("CancelOrderRequested", { orderId: "o-1", code, reason }),
};

/** `now` plus some seconds. */
export const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

/** What a step of the saga should have led to. */
export interface Expected {
  readonly status: SagaStatus;
  readonly commands: readonly SagaCommand[];
  /** Fields of the new state to compare (others are not checked). */
  readonly state?: Partial<OrderSagaState>;
}

function check(state: OrderSagaState | undefined, issued: readonly SagaCommand[], e: Expected) {
  expect(state?.status).toBe(e.status);
  expect(issued).toEqual(e.commands);
  if (e.state !== undefined) expect(state).toMatchObject(e.state);
  for (const c of issued) expect(() => toEvent(c)).not.toThrow();
}

/**
 * Given/When/Then for the saga: the facts given are applied at `NOW` (their commands ignored),
 * then one fact or a deadline check is the "when".
 *
 * @example
 * ```ts
 * givenSaga([placed]).when(reserved).then({ status: "PAYING", commands: [commands.pay] });
 * ```
 */
export function givenSaga(
  facts: readonly EventDraft<FactName>[],
  timeouts: SagaTimeouts = defaultSagaTimeouts,
  adjust: (state: OrderSagaState) => OrderSagaState = (s) => s,
) {
  let state: OrderSagaState | undefined;
  for (const f of facts) state = react(state, toEvent(f), NOW, timeouts).state;
  if (state !== undefined) state = adjust(state);
  return {
    state,
    when(fact: EventDraft<FactName>, now: Date = NOW) {
      const reaction = react(state, toEvent(fact), now, timeouts);
      return {
        reaction,
        // biome-ignore lint/suspicious/noThenProperty: Given/When/Then wording; never awaited.
        then(expected: Expected) {
          check(reaction.state, reaction.commands, expected);
          expect(reaction.changed).toBe(true);
        },
        thenUnchanged() {
          expect(reaction.state).toEqual(state);
          expect(reaction.commands).toEqual([]);
          expect(reaction.changed).toBe(false);
        },
      };
    },
    /** The sweep judges the saga at `now` with no lag, or with the stream time given. */
    whenDeadline(now: Date | StreamTime) {
      if (state === undefined) throw new Error("no saga was started by the facts given");
      const reaction = onDeadline(state, now, timeouts);
      return {
        reaction,
        // biome-ignore lint/suspicious/noThenProperty: Given/When/Then wording; never awaited.
        then(expected: Expected & { readonly reissued?: boolean }) {
          check(reaction.state, reaction.commands, expected);
          expect(reaction.reissueLastCommand).toBe(expected.reissued ?? false);
        },
        thenNothing() {
          expect(reaction.state).toEqual(state);
          expect(reaction.commands).toEqual([]);
          expect(reaction.reissueLastCommand).toBe(false);
          expect(reaction.changed).toBe(false);
        },
        /** The deadline passed on the wall clock but holds, for `reason`. */
        thenHeld(reason: "INPUTS_BEHIND" | "COMMAND_NOT_HANDLED") {
          expect(reaction.verdict).toMatchObject({ verdict: "held", reason });
          expect(reaction.state).toEqual(state);
          expect(reaction.commands).toEqual([]);
          expect(reaction.changed).toBe(false);
        },
      };
    },
  };
}
