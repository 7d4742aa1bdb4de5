import type { DeadlineVerdict, OrderSagaState } from "../domain/order-saga.ts";
import { onDeadline, withStepHandled } from "../domain/order-saga.ts";
import { runDecision } from "../kit/command-runner.ts";
import type { LogAdmin } from "../kit/log/port.ts";
import { MetricUnit } from "../kit/observability.ts";
import type { Runtime } from "../kit/runtime.ts";
import { scheduledHandler } from "../kit/scheduled-handler.ts";
import type { Stored } from "../kit/versioned-store.ts";
import { DEADLINE_SHARDS, sagaChange } from "../order-saga/saga-store.ts";
import { sagaTimeoutsFromEnv } from "../order-saga/timeouts.ts";
import { declaration } from "./function.ts";
import { measureStreamTime } from "./stream-time.ts";

const timeouts = sagaTimeoutsFromEnv();
/** Sagas looked at per run at most; the rest wait for the next run. */
const MAX_DUE = 1_000;
let admin: LogAdmin | undefined;
let lastStalled = "";

/**
 * Enforces saga deadlines in stream time. Finds sagas whose deadline passed on the wall clock
 * (the `by-deadline` index), measures the saga's watermark on its input log, and lets a deadline
 * fire only once the watermark passed it (an answer already in the log wins) and only counting
 * from when the step's command was handled (the command ledger). Our own lag holds deadlines, for
 * at most the grace (`DUPLEX_SAGA_STALL_GRACE_SECONDS`): then they fire on the wall clock, logged
 * and counted (`SagaDeadlinesForced`). A fired deadline compensates (release a reservation nobody
 * paid for, refund a payment whose delivery never came) or re-sends a step's command under a new
 * event id (the deciders make the repeat harmless).
 */
export const handler = scheduledHandler(declaration, async (runtime, now) => {
  const store = runtime.store("sagas");
  const due = await store.queryDue(
    "by-deadline",
    "deadlineShard",
    "deadlineAt",
    DEADLINE_SHARDS,
    now.toISOString(),
    MAX_DUE,
  );
  admin ??= runtime.logClient().admin();
  const measured = await measureStreamTime(
    runtime,
    admin,
    now,
    due.map((d) => Date.parse(d.at)),
    timeouts.stallGraceMs,
  );
  const { stream } = measured;
  // A saga's known deadline never comes before the index key: nothing past the watermark can
  // fire (stalled inputs aside), so only those are read.
  const reach = (
    stream.stalledInputs.length > 0 ? stream.watermarkOfLiveInputs : stream.watermark
  ).getTime();
  const toJudge = due.filter((d) => Date.parse(d.at) <= reach);
  const loaded = new Map<string, Stored<OrderSagaState | null>>();
  for (let i = 0; i < toJudge.length; i += 100) {
    const page = await store.loadMany(
      toJudge.slice(i, i + 100).map((d) => d.key),
      null as OrderSagaState | null,
    );
    for (const [key, stored] of page) loaded.set(key, stored);
  }
  const waiting = [...loaded.values()].flatMap((s) =>
    s.state?.step?.commandId !== undefined && s.state.step.handledAt === undefined
      ? [s.state.step.commandId]
      : [],
  );
  const handled = await runtime.ledger().handledAt(waiting);
  // What the ledger said for each step command asked about (null: not handled yet).
  const ledger = new Map<string, Date | null>(waiting.map((id) => [id, handled.get(id) ?? null]));

  const counts = { fired: 0, forced: 0, held: due.length - toJudge.length, reissued: 0 };
  for (const { key } of toJudge) {
    let first = loaded.get(key);
    if (first?.state === null || first === undefined) continue;
    const correlationId = (first.attributes.correlationId as string | undefined) ?? key;
    let verdict = { verdict: "none" } as DeadlineVerdict;
    let reissued = false;
    let orderId = "";
    await runDecision({
      store,
      publisher: runtime.publisher,
      // Each state of the saga is judged once: a second sweep of the same version is a repeat.
      cause: { eventId: `deadline:${key}:v${first.version}`, correlationId },
      decide: async () => {
        const stored = first ?? (await store.load<OrderSagaState | null>(key, null));
        first = undefined;
        if (stored.state === null) {
          return { primary: stored, touched: [], changes: [], recordHandled: false };
        }
        orderId = stored.state.orderId;
        const state = await withHandling(stored.state, ledger, runtime);
        const reaction = onDeadline(state, stream, timeouts);
        verdict = reaction.verdict;
        reissued = reaction.reissueLastCommand;
        if (reaction.changed) {
          return sagaChange(stored, reaction.state, reaction.commands, correlationId, reaction);
        }
        const lookAgainAt = verdict.verdict === "held" ? verdict.lookAgainAt : undefined;
        const moved =
          (lookAgainAt?.toISOString() ?? state.deadlineAt) !== stored.attributes.deadlineAt;
        if (state !== stored.state || moved) {
          return sagaChange(stored, state, [], correlationId, { lookAgainAt });
        }
        return { primary: stored, touched: [stored], changes: [], recordHandled: false };
      },
    });
    if (verdict.verdict === "fire") {
      counts.fired++;
      if (reissued) counts.reissued++;
      if (verdict.forced !== undefined) {
        counts.forced++;
        runtime.logger.warn("saga deadline decided on the wall clock (degraded mode)", {
          orderId,
          correlationId,
          reason: verdict.forced,
          deadlineKind: verdict.kind,
          deadlineAt: verdict.deadlineAt.toISOString(),
          watermark: stream.watermark.toISOString(),
          stalledInputs: stream.stalledInputs,
        });
      }
    } else if (verdict.verdict === "held") {
      counts.held++;
    }
  }

  const { metrics } = runtime;
  metrics.addMetric("SagaDeadlinesFired", MetricUnit.Count, counts.fired);
  metrics.addMetric("SagaDeadlinesForced", MetricUnit.Count, counts.forced);
  metrics.addMetric("SagaDeadlinesHeld", MetricUnit.Count, counts.held);
  metrics.addMetric("SagaCommandsReissued", MetricUnit.Count, counts.reissued);
  if (measured.lagSeconds !== undefined) {
    metrics.addMetric("SagaWatermarkLagSeconds", MetricUnit.Seconds, measured.lagSeconds);
  }
  metrics.addMetric("SagaInputsStalled", MetricUnit.Count, stream.stalledInputs.length);
  const stalled = stream.stalledInputs.join(",");
  if (stalled !== lastStalled) {
    // Once per change of the stalled set (per execution environment), not every sweep.
    if (stalled !== "") {
      runtime.logger.warn("saga inputs stalled: their deadlines are decided on the wall clock", {
        stalledInputs: stream.stalledInputs,
        stalledForSeconds: Math.round(measured.longestStallMs / 1000),
        graceSeconds: timeouts.stallGraceMs / 1000,
      });
    } else {
      runtime.logger.warn("saga inputs move again: deadlines are judged in stream time");
    }
    lastStalled = stalled;
  }
  return {
    due: due.length,
    ...counts,
    ...(counts.held > 0 ? { watermarkLagSeconds: measured.lagSeconds } : {}),
    stalledInputs: stream.stalledInputs.length,
  };
});

/**
 * The saga with its step's handling time once the command ledger knows it. `asked` holds what
 * the ledger answered this run (null: not handled); a command not asked yet is looked up.
 */
async function withHandling(
  state: OrderSagaState,
  asked: ReadonlyMap<string, Date | null>,
  runtime: Runtime,
): Promise<OrderSagaState> {
  const step = state.step;
  if (step?.commandId === undefined || step.handledAt !== undefined) return state;
  const known = asked.get(step.commandId);
  const at =
    known === undefined
      ? (await runtime.ledger().handledAt([step.commandId])).get(step.commandId)
      : known;
  return at === undefined || at === null ? state : withStepHandled(state, step.commandId, at);
}
