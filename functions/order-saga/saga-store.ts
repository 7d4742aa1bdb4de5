import type { OrderSagaState } from "../domain/order-saga.ts";
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

/**
 * The write for a saga's new state: the commands it issues go to its outbox, and the deadline
 * index follows the state (present while a deadline runs, absent in terminal states).
 */
export function sagaChange(
  stored: Stored<OrderSagaState | null>,
  state: OrderSagaState,
  commands: readonly Draft[],
  correlationId: string,
): Decision {
  const deadline =
    state.deadlineAt === undefined
      ? { remove: ["deadlineShard", "deadlineAt"] }
      : { set: { deadlineShard: deadlineShardOf(state.orderId), deadlineAt: state.deadlineAt } };
  return {
    primary: stored,
    touched: [stored],
    changes: [
      {
        stored,
        state,
        commands,
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
