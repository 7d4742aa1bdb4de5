import { newEventId } from "../../events/event-id.ts";
import type { OrderSagaState, SagaCommand } from "../domain/order-saga.ts";
import type { Decision, Draft } from "../kit/command-runner.ts";
import type { Stored } from "../kit/versioned-store.ts";

/** Key of an order's saga in the `sagas` table. */
export const sagaKey = (orderId: string) => `OrderFulfilment#${orderId}`;

/** Shards of the `by-deadline` index. */
export const DEADLINE_SHARDS = ["0", "1", "2", "3"] as const;

function deadlineShardOf(orderId: string): string {
  let hash = 0;
  for (const char of orderId) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return DEADLINE_SHARDS[Math.abs(hash) % DEADLINE_SHARDS.length] ?? "0";
}

/** How a saga's new state is written. */
export interface SagaChangeOptions {
  /**
   * The command (one of `commands`) that starts the saga's new step: it gets its event id here,
   * and the state records it (`step.commandId`), so the sweep can ask the command ledger when it
   * was handled.
   */
  readonly stepCommand?: SagaCommand | undefined;
  /**
   * When the sweep should look at the saga again, if not at its deadline (a deadline held
   * because its command is not handled yet is looked at again before the grace runs out).
   */
  readonly lookAgainAt?: Date | undefined;
}

/**
 * The write for a saga's new state: the commands it issues go to its outbox, and the `by-deadline`
 * index follows the state. The index key `deadlineAt` is when the sweep should look next: the
 * state's deadline, or an earlier `lookAgainAt`; absent in terminal states.
 *
 * @example
 * ```ts
 * const reaction = react(stored.state, fact, new Date(), timeouts);
 * return sagaChange(stored, reaction.state, reaction.commands, event.correlationId, reaction);
 * ```
 */
export function sagaChange(
  stored: Stored<OrderSagaState | null>,
  newState: OrderSagaState,
  commands: readonly SagaCommand[],
  correlationId: string,
  options: SagaChangeOptions = {},
): Decision {
  let state = newState;
  let drafts: readonly Draft[] = commands;
  if (options.stepCommand !== undefined && commands.includes(options.stepCommand)) {
    const commandId = newEventId();
    drafts = commands.map((c) => (c === options.stepCommand ? { ...c, eventId: commandId } : c));
    if (state.step !== undefined) state = { ...state, step: { ...state.step, commandId } };
  }
  const lookAt = options.lookAgainAt?.toISOString() ?? state.deadlineAt;
  const deadline =
    lookAt === undefined
      ? { remove: ["deadlineShard", "deadlineAt"] }
      : { set: { deadlineShard: deadlineShardOf(state.orderId), deadlineAt: lookAt } };
  return {
    primary: stored,
    touched: [stored],
    changes: [
      {
        stored,
        state,
        commands: drafts,
        ...deadline,
        set: {
          ...("set" in deadline ? deadline.set : {}),
          status: state.status,
          correlationId: (stored.attributes.correlationId as string | undefined) ?? correlationId,
        },
      },
    ],
  };
}
