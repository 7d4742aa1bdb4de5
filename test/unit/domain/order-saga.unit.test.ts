import { describe, expect, it } from "vitest";
import type { EventDraft, FactName } from "../../../functions/domain/drafts.ts";
import type { OrderSagaState, SagaCommand } from "../../../functions/domain/order-saga.ts";
import {
  awaitedFacts,
  defaultSagaTimeouts,
  isTerminal,
  react,
  sagaIdOf,
} from "../../../functions/domain/order-saga.ts";
import { NOW, toEvent } from "./decider-spec.ts";
import {
  address,
  commands,
  committed,
  completed,
  givenSaga,
  inventoryRejected,
  orderCancelled,
  orderRejected,
  paymentFailed,
  placed,
  processed,
  refunded,
  refundRejected,
  released,
  reservationFailed,
  reserved,
  scheduled,
  schedulingFailed,
} from "./saga-spec.ts";

/** Applies facts in turn at NOW; returns the statuses passed through and every command issued. */
function walk(facts: readonly EventDraft<FactName>[]) {
  let state: OrderSagaState | undefined;
  const statuses: string[] = [];
  const issued: SagaCommand[] = [];
  for (const fact of facts) {
    const reaction = react(state, toEvent(fact), NOW);
    state = reaction.state;
    statuses.push(state?.status ?? "-");
    issued.push(...reaction.commands);
  }
  return { state, statuses, issued };
}

const inOneMinute = "2026-11-23T10:01:00.000Z";

describe("order saga: the happy path", () => {
  it("OrderPlaced starts the saga: reserve the order's lines, inventory deadline", () => {
    givenSaga([])
      .when(placed)
      .then({
        status: "RESERVING",
        commands: [commands.reserve],
        state: {
          orderId: "o-1",
          customerId: "c-1",
          items: placed.data.items,
          totalCents: 3499,
          currency: "EUR",
          shippingAddress: address,
          paymentToken: "tok_visa",
          paymentCaptured: false,
          reissues: 0,
          deadlineAt: inOneMinute,
          deadlineKind: "INVENTORY",
          lastCommand: commands.reserve,
        },
      });
  });

  it("InventoryReserved → pay the order's total", () => {
    givenSaga([placed])
      .when(reserved)
      .then({
        status: "PAYING",
        commands: [commands.pay],
        state: {
          reservationExpiresAt: "2026-11-23T10:10:00.000Z",
          deadlineAt: inOneMinute,
          deadlineKind: "PAYMENT",
        },
      });
  });

  it("the payment deadline is the hold's expiry when that comes first", () => {
    givenSaga([placed])
      .when({ ...reserved, data: { ...reserved.data, expiresAt: "2026-11-23T10:00:30.000Z" } })
      .then({
        status: "PAYING",
        commands: [commands.pay],
        state: { deadlineAt: "2026-11-23T10:00:30.000Z", deadlineKind: "RESERVATION_EXPIRY" },
      });
  });

  it("PaymentProcessed → schedule delivery of the lines to the shipping address", () => {
    givenSaga([placed, reserved])
      .when(processed)
      .then({
        status: "SCHEDULING",
        commands: [commands.schedule],
        state: { paymentCaptured: true, deadlineAt: inOneMinute, deadlineKind: "DELIVERY" },
      });
  });

  it("DeliveryScheduled → commit the stock for that delivery", () => {
    givenSaga([placed, reserved, processed])
      .when(scheduled)
      .then({
        status: "COMMITTING",
        commands: [commands.commit],
        state: { deliveryId: "dlv-o-1", deadlineKind: "STEP" },
      });
  });

  it("InventoryCommitted → complete the order", () => {
    givenSaga([placed, reserved, processed, scheduled])
      .when(committed)
      .then({ status: "COMPLETING", commands: [commands.complete] });
  });

  it("OrderCompleted → COMPLETED, with no deadline left", () => {
    const { reaction } = givenSaga([placed, reserved, processed, scheduled, committed]).when(
      completed,
    );
    expect(reaction.state?.status).toBe("COMPLETED");
    expect(reaction.commands).toEqual([]);
    expect(reaction.state).not.toHaveProperty("deadlineAt");
    expect(reaction.state).not.toHaveProperty("deadlineKind");
  });

  it("end to end: the commands in order, and a state that survives JSON", () => {
    const { state, statuses, issued } = walk([
      placed,
      reserved,
      processed,
      scheduled,
      committed,
      completed,
    ]);
    expect(statuses).toEqual([
      "RESERVING",
      "PAYING",
      "SCHEDULING",
      "COMMITTING",
      "COMPLETING",
      "COMPLETED",
    ]);
    expect(issued).toEqual([
      commands.reserve,
      commands.pay,
      commands.schedule,
      commands.commit,
      commands.complete,
    ]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe("order saga: compensation paths", () => {
  it("inventory shortage → cancelled without payment", () => {
    const { statuses, issued, state } = walk([
      placed,
      reservationFailed,
      orderCancelled("OUT_OF_STOCK"),
    ]);
    expect(statuses).toEqual(["RESERVING", "CANCELLING", "CANCELLED"]);
    expect(issued).toEqual([
      commands.reserve,
      commands.cancel("OUT_OF_STOCK", "order o-1: p-1: 2 requested, 1 available"),
    ]);
    expect(issued.map((c) => c.eventType)).not.toContain("ProcessPaymentRequested");
    expect(state?.cancellation?.code).toBe("OUT_OF_STOCK");
  });

  it("PaymentFailed → release inventory → OrderCancelled", () => {
    const declined = "the card for order o-1 was declined";
    const { statuses, issued, state } = walk([
      placed,
      reserved,
      paymentFailed,
      released(declined),
      orderCancelled("PAYMENT_FAILED"),
    ]);
    expect(statuses).toEqual(["RESERVING", "PAYING", "RELEASING", "CANCELLING", "CANCELLED"]);
    expect(issued.slice(2)).toEqual([
      commands.release(declined),
      commands.cancel("PAYMENT_FAILED", declined),
    ]);
    expect(state).toMatchObject({
      cancellation: { code: "PAYMENT_FAILED", reason: declined },
      paymentCaptured: false,
    });
  });

  it("delivery cannot be scheduled → refund → release → cancel", () => {
    const why = "no carrier serves XX 10115 (order o-1)";
    const { statuses, issued } = walk([
      placed,
      reserved,
      processed,
      schedulingFailed,
      refunded,
      released(why),
      orderCancelled("DELIVERY_FAILED"),
    ]);
    expect(statuses).toEqual([
      "RESERVING",
      "PAYING",
      "SCHEDULING",
      "REFUNDING",
      "RELEASING",
      "CANCELLING",
      "CANCELLED",
    ]);
    expect(issued.slice(3)).toEqual([
      commands.refund(why),
      commands.release(why),
      commands.cancel("DELIVERY_FAILED", why),
    ]);
  });

  it("a refused commit (reservation expired) → refund → release → cancel", () => {
    const why = "the reservation for order o-1 expired at 2026-11-23T10:10:00.000Z";
    const { statuses, issued } = walk([
      placed,
      reserved,
      processed,
      scheduled,
      inventoryRejected("CommitInventoryRequested", "RESERVATION_EXPIRED", why),
      refunded,
      released(why),
      orderCancelled("RESERVATION_EXPIRED"),
    ]);
    expect(statuses.slice(3)).toEqual([
      "COMMITTING",
      "REFUNDING",
      "RELEASING",
      "CANCELLING",
      "CANCELLED",
    ]);
    expect(issued.slice(4)).toEqual([
      commands.refund(why),
      commands.release(why),
      commands.cancel("RESERVATION_EXPIRED", why),
    ]);
  });

  it("a refused refund (nothing captured) still goes on releasing", () => {
    givenSaga([placed, reserved, processed, schedulingFailed])
      .when(refundRejected("NOTHING_CAPTURED"))
      .then({
        status: "RELEASING",
        commands: [commands.release("no carrier serves XX 10115 (order o-1)")],
      });
  });

  it.each(["NO_RESERVATION", "ALREADY_RELEASED", "ALREADY_COMMITTED"] as const)(
    "a refused release (%s) still goes on cancelling",
    (code) => {
      givenSaga([placed, reserved, paymentFailed])
        .when(inventoryRejected("ReleaseInventoryRequested", code))
        .then({
          status: "CANCELLING",
          commands: [commands.cancel("PAYMENT_FAILED", "the card for order o-1 was declined")],
        });
    },
  );

  it("a refused release does not count as a refused commit, and vice versa", () => {
    givenSaga([placed, reserved, processed, scheduled])
      .when(inventoryRejected("ReleaseInventoryRequested", "ALREADY_RELEASED"))
      .thenUnchanged();
    givenSaga([placed, reserved, paymentFailed])
      .when(inventoryRejected("CommitInventoryRequested", "RESERVATION_EXPIRED"))
      .thenUnchanged();
  });

  it("a cancel answered ALREADY_CANCELLED ends the saga as CANCELLED", () => {
    givenSaga([placed, reservationFailed])
      .when(orderRejected("CancelOrderRequested", "ALREADY_CANCELLED"))
      .then({ status: "CANCELLED", commands: [] });
  });

  it.each(["UNKNOWN_ORDER", "ALREADY_COMPLETED"] as const)(
    "a cancel refused as %s needs an operator (FAILED)",
    (code) => {
      givenSaga([placed, reservationFailed])
        .when(orderRejected("CancelOrderRequested", code))
        .then({
          status: "FAILED",
          commands: [],
          state: { failureReason: `cancelling order o-1 was refused: ${code}` },
        });
    },
  );

  it("a refused completion needs an operator (FAILED)", () => {
    givenSaga([placed, reserved, processed, scheduled, committed])
      .when(orderRejected("CompleteOrderRequested", "ALREADY_CANCELLED"))
      .then({ status: "FAILED", commands: [] });
  });
});

describe("order saga: cancelled from outside", () => {
  const byCustomer = orderCancelled("CUSTOMER_REQUEST", "changed my mind");
  const cancellation = { code: "CUSTOMER_REQUEST", reason: "changed my mind" } as const;

  it("while reserving: nothing to undo yet", () => {
    givenSaga([placed])
      .when(byCustomer)
      .then({ status: "CANCELLED", commands: [], state: { cancellation } });
  });

  it("while paying: release the stock, then confirm the cancel", () => {
    givenSaga([placed, reserved])
      .when(byCustomer)
      .then({
        status: "RELEASING",
        commands: [commands.release("changed my mind")],
        state: { cancellation },
      });
    const { statuses, issued } = walk([
      placed,
      reserved,
      byCustomer,
      released("changed my mind"),
      orderRejected("CancelOrderRequested", "ALREADY_CANCELLED"),
    ]);
    expect(statuses.slice(2)).toEqual(["RELEASING", "CANCELLING", "CANCELLED"]);
    expect(issued.at(-1)).toEqual(commands.cancel("CUSTOMER_REQUEST", "changed my mind"));
  });

  it.each([
    ["scheduling", [placed, reserved, processed]],
    ["committing", [placed, reserved, processed, scheduled]],
  ] as const)("while %s: refund first", (_, facts) => {
    givenSaga(facts)
      .when(byCustomer)
      .then({
        status: "REFUNDING",
        commands: [commands.refund("changed my mind")],
        state: { cancellation },
      });
  });

  it("while completing: paid and shipped, so an operator decides (FAILED)", () => {
    givenSaga([placed, reserved, processed, scheduled, committed])
      .when(byCustomer)
      .then({
        status: "FAILED",
        commands: [],
        state: {
          cancellation,
          failureReason: "order o-1 was cancelled (CUSTOMER_REQUEST) after its stock was shipped",
        },
      });
  });

  it.each([
    ["refunding", [placed, reserved, processed, schedulingFailed]],
    ["releasing", [placed, reserved, paymentFailed]],
    ["completed", [placed, reserved, processed, scheduled, committed, completed]],
  ] as const)("while %s: the saga goes on as it was", (_, facts) => {
    givenSaga(facts).when(byCustomer).thenUnchanged();
  });
});

describe("order saga: late answers after a timeout", () => {
  const timedOutPaying = () => {
    const given = givenSaga([placed, reserved]);
    const deadline = given.whenDeadline(new Date("2026-11-23T10:01:00.000Z")).reaction;
    return deadline.state;
  };

  it("a late reservation after the saga gave up is released, once", () => {
    const late = givenSaga([placed, orderCancelled("CUSTOMER_REQUEST")]).when(reserved);
    late.then({
      status: "CANCELLED",
      commands: [commands.release("stock reserved after order o-1 was given up")],
      state: { reservationExpiresAt: "2026-11-23T10:10:00.000Z" },
    });
    const again = react(late.reaction.state, toEvent(reserved), NOW);
    expect(again.commands).toEqual([]);
    expect(again.changed).toBe(false);
  });

  it("a late reservation while cancelling releases without leaving the step", () => {
    const given = givenSaga([placed]);
    const timedOut = given.whenDeadline(new Date(inOneMinute)).reaction.state;
    const late = react(timedOut, toEvent(reserved), NOW);
    expect(late.state?.status).toBe("CANCELLING");
    expect(late.commands).toEqual([
      commands.release("stock reserved after order o-1 was given up"),
    ]);
    // The step's own command stays the one a deadline re-sends.
    expect(late.state?.lastCommand?.eventType).toBe("CancelOrderRequested");
  });

  it("a late capture after a payment timeout is refunded, once, and money stays conserved", () => {
    const state = timedOutPaying();
    expect(state.status).toBe("RELEASING");
    const late = react(state, toEvent(processed), NOW);
    expect(late.state?.status).toBe("RELEASING");
    expect(late.commands).toEqual([
      commands.refund("payment captured after order o-1 was given up"),
    ]);
    expect(late.state?.paymentCaptured).toBe(true);
    expect(react(late.state, toEvent(processed), NOW).commands).toEqual([]);
  });

  it("a late capture after the order was cancelled is refunded", () => {
    const { state } = walk([
      placed,
      reserved,
      paymentFailed,
      released("x"),
      orderCancelled("PAYMENT_FAILED"),
    ]);
    expect(state?.status).toBe("CANCELLED");
    expect(react(state, toEvent(processed), NOW).commands).toEqual([
      commands.refund("payment captured after order o-1 was given up"),
    ]);
  });

  it("a late decline or a late delivery answer changes nothing", () => {
    const state = timedOutPaying();
    const late = react(state, toEvent(paymentFailed), NOW);
    expect(late).toEqual({ state, commands: [], changed: false });

    const refunding = givenSaga([placed, reserved, processed]).whenDeadline(new Date(inOneMinute))
      .reaction.state;
    expect(react(refunding, toEvent(scheduled), NOW).commands).toEqual([]);
    expect(react(refunding, toEvent(schedulingFailed), NOW).changed).toBe(false);
  });
});

describe("order saga: duplicates and strays", () => {
  const path = [placed, reserved, processed, scheduled, committed, completed];

  it.each(path.map((fact, i) => [fact.eventType, i] as const))(
    "a duplicate %s changes nothing and issues nothing",
    (_, i) => {
      const upTo = path.slice(0, i + 1);
      const fact = path[i];
      if (fact === undefined) throw new Error("no fact");
      givenSaga(upTo).when(fact).thenUnchanged();
    },
  );

  it("a duplicate OrderCancelled after CANCELLED changes nothing", () => {
    givenSaga([placed, reservationFailed, orderCancelled("OUT_OF_STOCK")])
      .when(orderCancelled("OUT_OF_STOCK"))
      .thenUnchanged();
  });

  it("facts before OrderPlaced do not start a saga", () => {
    const reaction = react(undefined, toEvent(reserved), NOW);
    expect(reaction).toEqual({ state: undefined, commands: [], changed: false });
  });

  it("facts the saga does not read change nothing", () => {
    givenSaga([placed])
      .when({
        eventType: "PaymentInitiated",
        data: { orderId: "o-1", amountCents: 3499, currency: "EUR" },
      })
      .thenUnchanged();
  });

  it("refuses a fact of another order, naming both", () => {
    const { state } = walk([placed]);
    const other = toEvent({ ...reserved, data: { ...reserved.data, orderId: "o-2" } });
    expect(() => react(state, other, NOW)).toThrow(
      "saga of order o-1 was given InventoryReserved of order o-2",
    );
  });
});

describe("order saga: helpers", () => {
  it("names the saga a fact belongs to", () => {
    expect(sagaIdOf(toEvent(processed))).toBe("o-1");
    expect(
      sagaIdOf(
        toEvent({
          eventType: "ProductRestocked",
          data: { productId: "p-1", name: "Kettle", unitPriceCents: 1, quantity: 1 },
        }),
      ),
    ).toBeUndefined();
  });

  it("lists the facts each status waits for", () => {
    const { state } = walk([placed, reserved]);
    if (state === undefined) throw new Error("no saga");
    expect(awaitedFacts(state)).toEqual(["PaymentProcessed", "PaymentFailed"]);
    expect(awaitedFacts({ status: "RELEASING" })).toEqual([
      "InventoryReleased",
      "InventoryCommandRejected",
    ]);
    expect(awaitedFacts({ status: "CANCELLED" })).toEqual([]);
  });

  it("knows the terminal statuses", () => {
    expect(["COMPLETED", "CANCELLED", "FAILED"].every((s) => isTerminal(s as never))).toBe(true);
    expect(isTerminal("CANCELLING")).toBe(false);
  });

  it("defaults suit AWS: a minute per step, a ten-minute hold, five re-sends, a ten-minute grace", () => {
    expect(defaultSagaTimeouts).toEqual({
      inventoryMs: 60_000,
      paymentMs: 60_000,
      deliveryMs: 60_000,
      stepMs: 60_000,
      holdSeconds: 600,
      maxReissues: 5,
      stallGraceMs: 600_000,
    });
  });
});
