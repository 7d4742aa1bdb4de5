import { describe, expect, it } from "vitest";
import type { EventDraft, FactName } from "../../../functions/domain/drafts.ts";
import type {
  OrderSagaState,
  SagaCommand,
  SagaTimeouts,
} from "../../../functions/domain/order-saga.ts";
import { defaultSagaTimeouts, onDeadline, react } from "../../../functions/domain/order-saga.ts";
import { NOW, toEvent } from "./decider-spec.ts";
import {
  at,
  commands,
  committed,
  completed,
  givenSaga,
  paymentFailed,
  placed,
  processed,
  reservationFailed,
  reserved,
  scheduled,
  schedulingFailed,
} from "./saga-spec.ts";

const soon = { ...reserved, data: { ...reserved.data, expiresAt: "2026-11-23T10:00:30.000Z" } };

describe("order saga: deadlines that compensate", () => {
  it.each<[string, EventDraft<FactName>[]]>([
    ["RESERVING", [placed]],
    ["PAYING", [placed, reserved]],
    ["SCHEDULING", [placed, reserved, processed]],
    ["COMMITTING", [placed, reserved, processed, scheduled]],
    ["CANCELLING", [placed, reservationFailed]],
  ])("before its deadline a %s saga is left alone", (_, facts) => {
    givenSaga(facts).whenDeadline(at(59.999)).thenNothing();
  });

  it("inventory never answers → cancel (INVENTORY_TIMEOUT)", () => {
    const reason = "inventory did not answer for order o-1 within 60000 ms";
    givenSaga([placed])
      .whenDeadline(at(60))
      .then({
        status: "CANCELLING",
        commands: [commands.cancel("INVENTORY_TIMEOUT", reason)],
        state: {
          cancellation: { code: "INVENTORY_TIMEOUT", reason },
          deadlineAt: "2026-11-23T10:02:00.000Z",
          deadlineKind: "STEP",
        },
      });
  });

  it("a payment that never answers → release (PAYMENT_TIMEOUT), then cancel", () => {
    const reason = "payment did not answer for order o-1 within 60000 ms";
    givenSaga([placed, reserved])
      .whenDeadline(at(61))
      .then({
        status: "RELEASING",
        commands: [commands.release(reason)],
        state: { cancellation: { code: "PAYMENT_TIMEOUT", reason } },
      });
  });

  it("a hold that expires before the payment answers → release (RESERVATION_EXPIRED)", () => {
    givenSaga([placed, soon])
      .whenDeadline(at(30))
      .then({
        status: "RELEASING",
        commands: [
          commands.release(
            "the stock held for order o-1 expired at 2026-11-23T10:00:30.000Z before payment",
          ),
        ],
        state: { cancellation: { code: "RESERVATION_EXPIRED", reason: expect.any(String) } },
      });
  });

  it("delivery never answers → refund (DELIVERY_TIMEOUT)", () => {
    const reason = "delivery did not answer for order o-1 within 60000 ms";
    givenSaga([placed, reserved, processed])
      .whenDeadline(at(60))
      .then({
        status: "REFUNDING",
        commands: [commands.refund(reason)],
        state: { cancellation: { code: "DELIVERY_TIMEOUT", reason } },
      });
  });

  it("uses the timeouts it is given (the local demo's shorter ones)", () => {
    const quick: SagaTimeouts = { ...defaultSagaTimeouts, inventoryMs: 2_000, holdSeconds: 30 };
    const started = react(undefined, toEvent(placed), NOW, quick);
    expect(started.commands[0]).toEqual({
      ...commands.reserve,
      data: { ...commands.reserve.data, holdSeconds: 30 },
    });
    expect(started.state?.deadlineAt).toBe("2026-11-23T10:00:02.000Z");
    givenSaga([placed], quick).whenDeadline(at(1.999)).thenNothing();
    expect(givenSaga([placed], quick).whenDeadline(at(2)).reaction.state.status).toBe("CANCELLING");
  });
});

describe("order saga: deadlines that re-send", () => {
  it.each<[string, EventDraft<FactName>[], SagaCommand]>([
    ["COMMITTING", [placed, reserved, processed, scheduled], commands.commit],
    ["COMPLETING", [placed, reserved, processed, scheduled, committed], commands.complete],
    [
      "REFUNDING",
      [placed, reserved, processed, schedulingFailed],
      commands.refund("no carrier serves XX 10115 (order o-1)"),
    ],
    [
      "RELEASING",
      [placed, reserved, paymentFailed],
      commands.release("the card for order o-1 was declined"),
    ],
    [
      "CANCELLING",
      [placed, reservationFailed],
      commands.cancel("OUT_OF_STOCK", "order o-1: p-1: 2 requested, 1 available"),
    ],
  ])("%s: re-sends its command with a new deadline", (status, facts, command) => {
    givenSaga(facts)
      .whenDeadline(at(60))
      .then({
        status: status as OrderSagaState["status"],
        commands: [command],
        reissued: true,
        state: { reissues: 1, deadlineAt: "2026-11-23T10:02:00.000Z", deadlineKind: "STEP" },
      });
  });

  it("gives up after maxReissues re-sends (FAILED, needs an operator)", () => {
    let state = givenSaga([placed, reserved, processed, scheduled]).state as OrderSagaState;
    const resent: string[] = [];
    for (let minute = 1; minute <= 6; minute += 1) {
      const reaction = onDeadline(state, at(60 * minute));
      state = reaction.state;
      resent.push(...reaction.commands.map((c) => c.eventType));
    }
    expect(resent).toEqual(Array(5).fill("CommitInventoryRequested"));
    expect(state.status).toBe("FAILED");
    expect(state.failureReason).toBe(
      "no answer to CommitInventoryRequested for order o-1 after 5 re-sends",
    );
    expect(state).not.toHaveProperty("deadlineAt");
    expect(onDeadline(state, at(3600)).changed).toBe(false);
  });

  it("an answer after a re-send moves on and starts the count again", () => {
    const resent = givenSaga([placed, reserved, processed, scheduled]).whenDeadline(
      at(60),
    ).reaction;
    const next = react(resent.state, toEvent(committed), at(70));
    expect(next.state).toMatchObject({
      status: "COMPLETING",
      reissues: 0,
      deadlineAt: "2026-11-23T10:02:10.000Z",
    });
  });

  it("terminal sagas have no deadline", () => {
    const done = givenSaga([placed, reserved, processed, scheduled, committed, completed]);
    done.whenDeadline(at(86_400)).thenNothing();
  });
});
