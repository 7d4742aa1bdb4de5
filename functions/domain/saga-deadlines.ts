import type { DeadlineKind, OrderSagaState, SagaStep } from "./order-saga-state.ts";
import { isTerminal } from "./order-saga-state.ts";

/**
 * When a saga's deadline may fire. The principle: **our own lag is never the step's silence**.
 *
 * - A step's clock starts when a handler handled the step's command (the command ledger's
 *   `handledAt`), not when the saga issued it: time the command spent in a queue, a lane or a
 *   store of ours does not count. While the command is not handled, its deadline holds.
 * - A deadline D fires only once the saga's **watermark** W has reached it: every record appended
 *   to the saga's input topics before W has been applied to the saga state. So an answer that was
 *   in the log before D always wins, however far behind the saga's consumers are.
 * - Holding is bounded (the grace): if an input partition made no progress for the grace while
 *   behind, it stops counting for the watermark (the deadline is judged on the other partitions,
 *   or on the wall clock when every one is stalled); a step's command still not handled when the
 *   watermark passes its nominal deadline plus the grace is presumed lost. Both decide in
 *   **degraded** mode: safe, since a late answer is compensated, but alarmed.
 * - The reservation's expiry is a business rule with an absolute time, judged against W as well.
 *
 * Pure: the sweeper reads the watermark, the stall facts and the ledger and passes them in.
 */

/** What the sweep knows about the saga's input log when it judges deadlines. */
export interface StreamTime {
  /** The sweep's wall clock. */
  readonly now: Date;
  /**
   * The saga's stream time: every record appended to its input partitions before this instant
   * has been applied to the saga state being judged.
   */
  readonly watermark: Date;
  /** Input partitions (`topic/partition`) without progress for the grace while behind. */
  readonly stalledInputs: readonly string[];
  /**
   * The watermark over the partitions that are not stalled (the wall clock when all are); equal
   * to `watermark` when none is stalled.
   */
  readonly watermarkOfLiveInputs: Date;
}

/** Why a deadline that passed on the wall clock does not fire yet. */
export type HoldReason =
  /** The answer may be in the log, not yet applied: the watermark is behind the deadline. */
  | "INPUTS_BEHIND"
  /** The step's command has not been handled yet: its clock has not started. */
  | "COMMAND_NOT_HANDLED";

/** Why a deadline fired in degraded mode, before stream time proved it. */
export type ForceReason =
  /** Some input partition made no progress for the grace: it no longer holds deadlines. */
  | "INPUTS_STALLED"
  /** The step's command was still not handled its nominal deadline plus the grace. */
  | "COMMAND_NOT_HANDLED";

/** The verdict on one saga's deadline. */
export type DeadlineVerdict =
  | { readonly verdict: "none" }
  | { readonly verdict: "not-due"; readonly kind: DeadlineKind; readonly deadlineAt: Date }
  | {
      readonly verdict: "held";
      readonly reason: HoldReason;
      readonly kind: DeadlineKind;
      readonly deadlineAt: Date;
      /** When it is worth looking again (the sweep's index key until then). */
      readonly lookAgainAt: Date;
    }
  | {
      readonly verdict: "fire";
      readonly kind: DeadlineKind;
      readonly deadlineAt: Date;
      /** Set when the deadline fires on the wall clock rather than on stream time. */
      readonly forced?: ForceReason;
    };

/** A verdict that fires. */
export type FiredDeadline = Extract<DeadlineVerdict, { verdict: "fire" }>;

/**
 * No lag: the watermark is the wall clock and nothing is stalled. What a world without queues
 * looks like (the in-memory simulation, unit tests of the saga's transitions).
 *
 * @example
 * ```ts
 * judgeDeadline(saga, inSync(new Date()), 600_000);
 * ```
 */
export function inSync(now: Date): StreamTime {
  return { now, watermark: now, stalledInputs: [], watermarkOfLiveInputs: now };
}

/** When the step's clock started: its command's handling; `undefined` while not handled. */
function clockStart(step: SagaStep): number | undefined {
  if (step.handledAt !== undefined) return Date.parse(step.handledAt);
  // A step whose command id is not known cannot be looked up: its clock starts at its issue.
  return step.commandId === undefined ? Date.parse(step.issuedAt) : undefined;
}

/**
 * The deadline a saga knows of now: the step's timeout from its command's handling (or from its
 * issue while the handling is not known), or the reservation's expiry when that comes first
 * (PAYING). `undefined` in terminal states. The sweep finds sagas by it.
 *
 * @example
 * ```ts
 * knownDeadline(paying); // { at: 2026-11-23T10:01:00.000Z, kind: "PAYMENT" }
 * ```
 */
export function knownDeadline(
  state: OrderSagaState,
): { readonly at: Date; readonly kind: DeadlineKind } | undefined {
  const { step } = state;
  if (step === undefined || isTerminal(state.status)) return undefined;
  const start = step.handledAt ?? step.issuedAt;
  let at = Date.parse(start) + step.timeoutMs;
  let kind: DeadlineKind = step.kind;
  const expiry = reservationExpiry(state);
  if (expiry !== undefined && expiry <= at) {
    at = expiry;
    kind = "RESERVATION_EXPIRY";
  }
  return { at: new Date(at), kind };
}

function reservationExpiry(state: OrderSagaState): number | undefined {
  return state.status === "PAYING" && state.reservationExpiresAt !== undefined
    ? Date.parse(state.reservationExpiresAt)
    : undefined;
}

/**
 * The state once the sweep learned when the step's command was handled: the step's clock
 * starts there and the known deadline moves with it. Unchanged if the id is not the step's or
 * the handling is already known.
 *
 * @example
 * ```ts
 * const next = withStepHandled(paying, paying.step.commandId, new Date("2026-11-23T10:00:05Z"));
 * next.deadlineAt; // "2026-11-23T10:01:05.000Z"
 * ```
 */
export function withStepHandled(
  state: OrderSagaState,
  commandId: string,
  handledAt: Date,
): OrderSagaState {
  const { step } = state;
  if (step === undefined || step.commandId !== commandId || step.handledAt !== undefined) {
    return state;
  }
  return withKnownDeadline({ ...state, step: { ...step, handledAt: handledAt.toISOString() } });
}

/** The state with `deadlineAt`/`deadlineKind` derived from its step (removed without one). */
export function withKnownDeadline(state: OrderSagaState): OrderSagaState {
  const { deadlineAt: _at, deadlineKind: _kind, ...rest } = state;
  const deadline = knownDeadline(state);
  return deadline === undefined
    ? rest
    : { ...rest, deadlineAt: deadline.at.toISOString(), deadlineKind: deadline.kind };
}

interface Candidate {
  readonly kind: DeadlineKind;
  readonly at: number;
}

/**
 * Judges a saga's deadline: fire (on stream time, or forced in degraded mode), hold (and why), or
 * not due yet. The step's handling must already be in the state (`withStepHandled`).
 *
 * @example
 * ```ts
 * // The payment was handled at 10:00:00 with a 60 s timeout; it is 10:05 but the saga's
 * // consumers have only applied what was logged before 10:00:30: the answer may be behind.
 * judgeDeadline(paying, { now: at("10:05"), watermark: at("10:00:30"), ... }, 600_000);
 * // { verdict: "held", reason: "INPUTS_BEHIND", kind: "PAYMENT", ... }
 * ```
 */
export function judgeDeadline(
  state: OrderSagaState,
  time: StreamTime,
  graceMs: number,
): DeadlineVerdict {
  const { step } = state;
  if (isTerminal(state.status) || step === undefined) return { verdict: "none" };
  const now = time.now.getTime();
  const watermark = time.watermark.getTime();
  const live = time.stalledInputs.length > 0 ? time.watermarkOfLiveInputs.getTime() : watermark;

  const start = clockStart(step);
  const candidates: Candidate[] = [];
  if (start !== undefined) candidates.push({ kind: step.kind, at: start + step.timeoutMs });
  const expiry = reservationExpiry(state);
  if (expiry !== undefined) candidates.push({ kind: "RESERVATION_EXPIRY", at: expiry });
  candidates.sort((a, b) => a.at - b.at);

  let held: DeadlineVerdict | undefined;
  for (const c of candidates) {
    if (now < c.at) break;
    if (watermark >= c.at) return fire(c);
    if (live >= c.at) return fire(c, "INPUTS_STALLED");
    held ??= {
      verdict: "held",
      reason: "INPUTS_BEHIND",
      kind: c.kind,
      deadlineAt: new Date(c.at),
      lookAgainAt: new Date(c.at),
    };
  }
  if (start === undefined) {
    // Not handled yet: nothing the handler would answer can be in the log. Presumed lost once
    // stream time is a grace past the nominal deadline (the fast lane's reconciler has re-sent
    // it by then); looked at again sooner and sooner as that nears.
    const nominal = Date.parse(step.issuedAt) + step.timeoutMs;
    const lost = nominal + graceMs;
    if (now >= nominal) {
      if (live >= lost) return fire({ kind: step.kind, at: nominal }, "COMMAND_NOT_HANDLED");
      const gap = Math.min(
        Math.max((now - nominal) / 2, 1_000),
        Math.max(step.timeoutMs / 2, 1_000),
      );
      held ??= {
        verdict: "held",
        reason: "COMMAND_NOT_HANDLED",
        kind: step.kind,
        deadlineAt: new Date(nominal),
        lookAgainAt: new Date(Math.min(lost, now + gap)),
      };
    }
  }
  if (held !== undefined) return held;
  const next = knownDeadline(state);
  return next === undefined
    ? { verdict: "none" }
    : { verdict: "not-due", kind: next.kind, deadlineAt: next.at };
}

function fire(c: Candidate, forced?: ForceReason): FiredDeadline {
  return {
    verdict: "fire",
    kind: c.kind,
    deadlineAt: new Date(c.at),
    ...(forced === undefined ? {} : { forced }),
  };
}
