import { describe, expect, it } from "vitest";
import type {
  OrderSagaState,
  SagaTimeouts,
  StreamTime,
} from "../../../functions/domain/order-saga.ts";
import {
  defaultSagaTimeouts,
  judgeDeadline,
  knownDeadline,
  react,
  withStepHandled,
} from "../../../functions/domain/order-saga.ts";
import { toEvent } from "./decider-spec.ts";
import {
  at,
  commands,
  committed,
  givenSaga,
  placed,
  processed,
  reserved,
  scheduled,
} from "./saga-spec.ts";

/**
 * Deadlines in stream time: our own lag is never the step's silence. Times are seconds after the
 * saga issued the step's command (NOW); every step times out 60 s after its command was handled.
 */
const grace = 120_000;
const timeouts: SagaTimeouts = { ...defaultSagaTimeouts, stallGraceMs: grace };
const PAYMENT_COMMAND = "cmd-pay-1";

/** The runtime gave the step's command its id (as `sagaChange` does). */
const issued =
  (commandId = PAYMENT_COMMAND) =>
  (state: OrderSagaState): OrderSagaState =>
    state.step === undefined ? state : { ...state, step: { ...state.step, commandId } };

/** ... and the sweep learned from the command ledger when a handler handled it. */
const handledAfter =
  (seconds: number, commandId = PAYMENT_COMMAND) =>
  (state: OrderSagaState): OrderSagaState =>
    withStepHandled(issued(commandId)(state), commandId, at(seconds));

/** The sweep at `now`, with the saga's consumers having applied everything logged before `watermark`. */
function sweep(now: number, watermark: number, stalled: Partial<StreamTime> = {}): StreamTime {
  return {
    now: at(now),
    watermark: at(watermark),
    stalledInputs: [],
    watermarkOfLiveInputs: at(watermark),
    ...stalled,
  };
}

const paying = (adjust: (s: OrderSagaState) => OrderSagaState) =>
  givenSaga([placed, reserved], timeouts, adjust);

describe("saga deadlines: the answer waiting in the log behind a backlog", () => {
  it("watermark behind the deadline → no fire, even an hour after the wall-clock deadline", () => {
    paying(handledAfter(0)).whenDeadline(sweep(3_600, 59.999)).thenHeld("INPUTS_BEHIND");
  });

  it("watermark past the deadline → the payment times out and the stock is released", () => {
    const reason = "payment did not answer for order o-1 within 60000 ms";
    paying(handledAfter(0))
      .whenDeadline(sweep(3_600, 60))
      .then({
        status: "RELEASING",
        commands: [commands.release(reason)],
        state: { cancellation: { code: "PAYMENT_TIMEOUT", reason } },
      });
  });

  it("an answer logged before the deadline wins, however late the saga reads it", () => {
    // Given the payment handled at 0 s and its answer logged at 10 s, behind a backlog
    const given = paying(handledAfter(0));
    // When the sweep runs at 5 min while the saga has only read up to 9 s
    given.whenDeadline(sweep(300, 9)).thenHeld("INPUTS_BEHIND");
    // Then the saga reads the answer at last and moves on: nothing of the payment step is left
    const paid = react(given.state, toEvent(processed), at(301), timeouts).state as OrderSagaState;
    expect(paid.status).toBe("SCHEDULING");
    expect(judgeDeadline(paid, sweep(302, 302), grace)).toMatchObject({ verdict: "not-due" });
  });

  it("a true no-answer still times out once the saga has read past its deadline", () => {
    paying(handledAfter(0))
      .whenDeadline(sweep(61, 60.5))
      .then({
        status: "RELEASING",
        commands: [commands.release("payment did not answer for order o-1 within 60000 ms")],
      });
  });

  it("before the deadline nothing is held or fired", () => {
    paying(handledAfter(0)).whenDeadline(sweep(59, 59)).thenNothing();
    expect(paying(handledAfter(0)).whenDeadline(sweep(59, 59)).reaction.verdict).toMatchObject({
      verdict: "not-due",
      kind: "PAYMENT",
    });
  });
});

describe("saga deadlines: the command not yet handed to its handler", () => {
  it("command not handled → the deadline holds, however late on the wall clock", () => {
    paying(issued()).whenDeadline(sweep(100, 100)).thenHeld("COMMAND_NOT_HANDLED");
  });

  it("the step's clock starts when the command was handled, not when it was issued", () => {
    // Given the payment command waited 50 s in a queue of ours
    const given = paying(handledAfter(50));
    expect(given.state?.deadlineAt).toBe(at(110).toISOString());
    // When the sweep runs at 100 s: not due; at 110 s with the saga caught up: due
    given.whenDeadline(sweep(100, 100)).thenNothing();
    expect(given.whenDeadline(sweep(110, 110)).reaction.state.status).toBe("RELEASING");
  });

  it("a held command is looked at again sooner and sooner, never after the grace runs out", () => {
    const held = (now: number) =>
      judgeDeadline(paying(issued()).state as OrderSagaState, sweep(now, now), grace);
    expect(held(60)).toMatchObject({ verdict: "held", lookAgainAt: at(61) });
    expect(held(80)).toMatchObject({ verdict: "held", lookAgainAt: at(90) });
    expect(held(170)).toMatchObject({ verdict: "held", lookAgainAt: at(180) });
  });

  it("a command never handled: degraded once stream time is the grace past its nominal deadline", () => {
    const stillWaiting = paying(issued());
    stillWaiting.whenDeadline(sweep(179.999, 179.999)).thenHeld("COMMAND_NOT_HANDLED");
    const decided = stillWaiting.whenDeadline(sweep(180, 180)).reaction;
    expect(decided.verdict).toMatchObject({ verdict: "fire", forced: "COMMAND_NOT_HANDLED" });
    expect(decided.state).toMatchObject({
      status: "RELEASING",
      cancellation: {
        code: "PAYMENT_TIMEOUT",
        reason:
          "the payment command for order o-1 was not handled within 60000 ms and the 120000 ms grace (decided on the wall clock: the command was never handled)",
      },
    });
  });

  it("the re-sent command of a step starts a new clock, waiting for its own handling", () => {
    const committing = givenSaga(
      [placed, reserved, processed, scheduled],
      timeouts,
      handledAfter(0),
    );
    const resent = committing.whenDeadline(sweep(60, 60)).reaction;
    expect(resent.commands).toEqual([commands.commit]);
    expect(resent.stepCommand).toBe(resent.commands[0]);
    expect(resent.state.step).toEqual({
      kind: "STEP",
      timeoutMs: 60_000,
      issuedAt: at(60).toISOString(),
    });
    expect(resent.state.reissues).toBe(1);
  });
});

describe("saga deadlines: a stalled consumer must not freeze deadlines forever", () => {
  const stalled = (now: number, frozenAt: number, live: number) =>
    sweep(now, frozenAt, {
      stalledInputs: ["payment-events/3"],
      watermarkOfLiveInputs: at(live),
    });

  it("an input stalled past the grace no longer holds: degraded fire on the other inputs", () => {
    const decided = paying(handledAfter(0)).whenDeadline(stalled(300, 30, 300)).reaction;
    expect(decided.verdict).toMatchObject({
      verdict: "fire",
      kind: "PAYMENT",
      forced: "INPUTS_STALLED",
    });
    expect(decided.state.cancellation?.reason).toBe(
      "payment did not answer for order o-1 within 60000 ms (decided on the wall clock: the saga's input consumers were stalled)",
    );
  });

  it("the inputs that are not stalled still hold the deadline while they are behind it", () => {
    paying(handledAfter(0))
      .whenDeadline(stalled(300, 30, 59))
      .thenHeld("INPUTS_BEHIND");
  });

  it("a deadline proven by stream time is not degraded, stalled inputs or not", () => {
    expect(
      paying(handledAfter(0)).whenDeadline(stalled(300, 60, 300)).reaction.verdict,
    ).toMatchObject({ verdict: "fire", kind: "PAYMENT" });
    expect(
      paying(handledAfter(0)).whenDeadline(stalled(300, 60, 300)).reaction.verdict,
    ).not.toHaveProperty("forced");
  });
});

describe("saga deadlines: the reservation's expiry, a business rule judged in stream time", () => {
  const soon = { ...reserved, data: { ...reserved.data, expiresAt: at(30).toISOString() } };
  const payingSoon = (adjust: (s: OrderSagaState) => OrderSagaState) =>
    givenSaga([placed, soon], timeouts, adjust);
  const expired = "the stock held for order o-1 expired at 2026-11-23T10:00:30.000Z before payment";

  it("is the known deadline when it comes before the payment's", () => {
    expect(knownDeadline(payingSoon(handledAfter(0)).state as OrderSagaState)).toEqual({
      at: at(30),
      kind: "RESERVATION_EXPIRY",
    });
  });

  it("holds while the watermark is behind it, fires once it passed", () => {
    payingSoon(handledAfter(0)).whenDeadline(sweep(600, 29)).thenHeld("INPUTS_BEHIND");
    payingSoon(handledAfter(0))
      .whenDeadline(sweep(600, 30))
      .then({
        status: "RELEASING",
        commands: [commands.release(expired)],
        state: { cancellation: { code: "RESERVATION_EXPIRED", reason: expired } },
      });
  });

  it("runs out even while the payment command is not handled (its time is absolute)", () => {
    payingSoon(issued())
      .whenDeadline(sweep(31, 31))
      .then({ status: "RELEASING", commands: [commands.release(expired)] });
  });
});

describe("saga deadlines: what the saga knows", () => {
  it("learning the handling moves the known deadline; another command's id changes nothing", () => {
    const state = paying(issued()).state as OrderSagaState;
    expect(state.deadlineAt).toBe(at(60).toISOString());
    expect(withStepHandled(state, PAYMENT_COMMAND, at(5)).deadlineAt).toBe(at(65).toISOString());
    expect(withStepHandled(state, "another", at(5))).toBe(state);
    const handled = withStepHandled(state, PAYMENT_COMMAND, at(5));
    expect(withStepHandled(handled, PAYMENT_COMMAND, at(9))).toBe(handled);
  });

  it("terminal sagas have neither step nor deadline", () => {
    const done = givenSaga([placed, reserved, processed, scheduled, committed]).state;
    const completed = react(
      done,
      toEvent({
        eventType: "OrderCompleted",
        data: {
          orderId: "o-1",
          customerId: "c-1",
          totalCents: 3499,
          currency: "EUR",
          deliveryId: "dlv-o-1",
        },
      }),
      at(1),
    ).state as OrderSagaState;
    expect(completed.status).toBe("COMPLETED");
    expect(completed).not.toHaveProperty("step");
    expect(judgeDeadline(completed, sweep(9_999, 9_999), grace)).toEqual({ verdict: "none" });
  });
});
