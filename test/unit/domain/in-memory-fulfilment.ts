import { createEvent } from "../../../events/create.ts";
import { eventDefinition } from "../../../events/registry.ts";
import type { AnyCommand, AnyEvent, AnyFact, CriticalCommandName } from "../../../events/types.ts";
import type {
  AggregateModel,
  AggregateTypeName,
  StateOf,
} from "../../../functions/domain/aggregates.ts";
import { aggregates } from "../../../functions/domain/aggregates.ts";
import * as customers from "../../../functions/domain/customers.ts";
import * as deliveries from "../../../functions/domain/deliveries.ts";
import type { CommandDraft, EventDraft } from "../../../functions/domain/drafts.ts";
import * as inventory from "../../../functions/domain/inventory.ts";
import type { OrderSagaState, SagaTimeouts } from "../../../functions/domain/order-saga.ts";
import { onDeadline, react, sagaIdOf } from "../../../functions/domain/order-saga.ts";
import * as orders from "../../../functions/domain/orders.ts";
import * as payments from "../../../functions/domain/payments.ts";

/**
 * The whole fulfilment flow in memory: every decider behind a command "handler", the saga behind
 * a fact "consumer", a log, and a clock. Delivery is at-least-once and reordered the way the real
 * lanes are: facts in order per topic and key (Kafka partitions), commands in any order (SQS),
 * some late, some twice; the deadline sweep runs whenever the clock moves.
 */

export interface Faults {
  /** A fact reaches the saga twice (same event). */
  readonly duplicateFact: number;
  /** A command is handled twice, the second time with a new event id (no event-id dedupe). */
  readonly duplicateCommand: number;
  /** A command arrives late, after up to `maxDelayMs`. */
  readonly delayCommand: number;
  readonly maxDelayMs: number;
  /** Chance, per step, that the clock jumps (up to `maxJumpMs`) and the sweep runs. */
  readonly clockJump: number;
  readonly maxJumpMs: number;
}

export const noFaults: Faults = {
  duplicateFact: 0,
  duplicateCommand: 0,
  delayCommand: 0,
  maxDelayMs: 0,
  clockJump: 0,
  maxJumpMs: 0,
};

/** A small seeded PRNG (mulberry32): the schedule of a run is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface InFlight {
  readonly command: AnyCommand;
  readonly dueAt: number;
}

export class FulfilmentSystem {
  now: number;
  readonly log: AnyEvent[] = [];
  readonly sagas = new Map<string, OrderSagaState>();
  private readonly stores = new Map<string, Map<string, unknown>>();
  private readonly lanes = new Map<string, AnyFact[]>();
  private inFlight: InFlight[] = [];
  private readonly handled = new Set<string>();
  private readonly timeouts: SagaTimeouts;
  private readonly faults: Faults;
  private readonly random: () => number;

  constructor(options: {
    readonly timeouts: SagaTimeouts;
    readonly start?: Date;
    readonly faults?: Faults;
    readonly random?: () => number;
  }) {
    this.timeouts = options.timeouts;
    this.now = (options.start ?? new Date("2026-11-23T10:00:00.000Z")).getTime();
    this.faults = options.faults ?? noFaults;
    this.random = options.random ?? (() => 0);
  }

  /** A command from outside (a user, the workload). */
  submit(command: CommandDraft): void {
    this.send(
      createEvent(command.eventType, command.data as never, {
        occurredAt: new Date(this.now),
      }) as AnyCommand,
      false,
    );
  }

  /** An aggregate's current state, as its handler would load it. */
  state<A extends AggregateTypeName>(type: A, id: string): StateOf<A> {
    const stored = this.stores.get(type)?.get(id);
    return (stored ?? aggregates[type].initialState) as StateOf<A>;
  }

  /** Facts of the log of one type. */
  facts<T extends AnyFact["eventType"]>(type: T): Extract<AnyFact, { eventType: T }>[] {
    return this.log.filter((e): e is Extract<AnyFact, { eventType: T }> => e.eventType === type);
  }

  /**
   * Delivers messages and moves the clock until nothing is in flight and no deadline is pending.
   * `beforeStep` may submit more commands (e.g. cancellations at a chosen step).
   */
  run(options: { maxSteps?: number; beforeStep?: (step: number) => void } = {}): number {
    const maxSteps = options.maxSteps ?? 100_000;
    for (let step = 0; step < maxSteps; step += 1) {
      options.beforeStep?.(step);
      if (!this.step()) return step;
    }
    throw new Error(`the flow did not settle within ${maxSteps} steps`);
  }

  /** One delivery or one clock move; false when there is nothing left to do. */
  private step(): boolean {
    const due = this.inFlight.filter((m) => m.dueAt <= this.now);
    const lanes = [...this.lanes.values()].filter((l) => l.length > 0);
    const choices = due.length + lanes.length;
    if (choices > 0 && this.random() < this.faults.clockJump) {
      this.advanceTo(this.now + Math.floor(this.random() * this.faults.maxJumpMs));
      return true;
    }
    if (choices === 0) {
      const next = Math.min(
        ...this.inFlight.map((m) => m.dueAt),
        ...[...this.sagas.values()].flatMap((s) =>
          s.deadlineAt === undefined ? [] : [Date.parse(s.deadlineAt)],
        ),
      );
      if (!Number.isFinite(next)) return false;
      this.advanceTo(Math.max(next, this.now));
      return true;
    }
    const pick = Math.floor(this.random() * choices);
    const message = due[pick];
    if (message !== undefined) {
      this.inFlight = this.inFlight.filter((m) => m !== message);
      this.handle(message.command);
    } else {
      const fact = lanes[pick - due.length]?.shift();
      if (fact !== undefined) this.consume(fact);
    }
    return true;
  }

  private advanceTo(time: number): void {
    this.now = time;
    for (const saga of [...this.sagas.values()]) {
      const reaction = onDeadline(saga, new Date(this.now), this.timeouts);
      if (!reaction.changed) continue;
      this.sagas.set(saga.orderId, reaction.state);
      const cause = { eventId: `deadline-${saga.orderId}`, correlationId: saga.orderId };
      for (const command of reaction.commands) this.issue(command, cause);
    }
  }

  /**
   * Puts a command in flight. At-least-once: it may arrive twice (the handler's event-id
   * idempotency drops the copy). A command the saga issued may also be sent again under a new
   * id, as a re-send after a deadline is; only domain-level idempotency protects against that.
   */
  private send(command: AnyCommand, fromSaga: boolean): void {
    this.log.push(command);
    const late = this.random() < this.faults.delayCommand;
    const dueAt = this.now + (late ? Math.floor(this.random() * this.faults.maxDelayMs) : 0);
    this.inFlight.push({ command, dueAt });
    if (this.random() < this.faults.duplicateCommand) {
      const copy = fromSaga
        ? (createEvent(command.eventType, command.data as never, {
            causedBy: command,
            occurredAt: new Date(this.now),
          }) as AnyCommand)
        : command;
      if (copy !== command) this.log.push(copy);
      this.inFlight.push({ command: copy, dueAt: dueAt + 1 });
    }
  }

  private issue(command: CommandDraft, cause: { eventId: string; correlationId: string }): void {
    this.send(
      createEvent(command.eventType, command.data as never, {
        causedBy: cause,
        occurredAt: new Date(this.now),
      }) as AnyCommand,
      true,
    );
  }

  /** The command handler: load, decide, store the new states with the events, publish. */
  private handle(command: AnyCommand): void {
    if (this.handled.has(command.eventId)) return;
    this.handled.add(command.eventId);
    const now = new Date(this.now);
    for (const produced of this.decide(command, now)) {
      const event = createEvent(produced.eventType, produced.data as never, {
        causedBy: command,
        occurredAt: now,
      }) as AnyEvent;
      this.apply(event);
      this.log.push(event);
      const fact = event as AnyFact;
      const lane = `${eventDefinition(fact.eventType).topic}/${fact.aggregateId}`;
      const queue = this.lanes.get(lane) ?? [];
      queue.push(fact);
      if (this.random() < this.faults.duplicateFact) queue.push(fact);
      this.lanes.set(lane, queue);
    }
  }

  /** The saga consumer. */
  private consume(fact: AnyFact): void {
    const id = sagaIdOf(fact);
    if (id === undefined) return;
    const reaction = react(this.sagas.get(id), fact, new Date(this.now), this.timeouts);
    if (reaction.state !== undefined) this.sagas.set(id, reaction.state);
    for (const command of reaction.commands) this.issue(command, fact);
  }

  private apply(event: AnyEvent): void {
    for (const [type, model] of Object.entries(aggregates) as [string, AggregateModel<unknown>][]) {
      for (const id of model.idsTouchedBy(event)) {
        const store = this.stores.get(type) ?? new Map<string, unknown>();
        store.set(id, model.evolve(id, store.get(id) ?? model.initialState, event));
        this.stores.set(type, store);
      }
    }
  }

  private decide(command: AnyCommand, now: Date): readonly EventDraft[] {
    switch (command.eventType) {
      case "RegisterCustomerRequested":
        return customers.decide(
          this.state("Customer", command.data.customerId),
          command,
          undefined,
          now,
        );
      case "PlaceOrderRequested": {
        const { customerId, productIds } = orders.placeOrderLookups(command.data);
        const products = Object.fromEntries(
          productIds.map((id) => {
            const p = this.state("Product", id);
            return [id, p.exists ? { name: p.name, unitPriceCents: p.unitPriceCents } : undefined];
          }),
        );
        const customerExists = this.state("Customer", customerId).status === "registered";
        return orders.decide(
          this.state("Order", command.data.orderId),
          command,
          { customerExists, products },
          now,
        );
      }
      case "CancelOrderRequested":
      case "CompleteOrderRequested":
        return orders.decide(this.state("Order", command.data.orderId), command, undefined, now);
      case "RestockProductRequested":
      case "ReserveInventoryRequested":
      case "ReleaseInventoryRequested":
      case "CommitInventoryRequested": {
        const { reservationId, productIds } = inventory.inventoryLookups(command);
        const state: inventory.InventoryState = {
          reservation:
            reservationId === undefined
              ? inventory.initialReservationState
              : this.state("Reservation", reservationId),
          products: Object.fromEntries(productIds.map((id) => [id, this.state("Product", id)])),
        };
        return inventory.decide(state, command, undefined, now);
      }
      case "ProcessPaymentRequested":
        return payments.decide(
          this.state("Payment", command.data.orderId),
          command,
          { orderStatus: this.state("Order", command.data.orderId).status },
          now,
        );
      case "RefundPaymentRequested":
        return payments.decide(
          this.state("Payment", command.data.orderId),
          command,
          undefined,
          now,
        );
      case "ScheduleDeliveryRequested":
        return deliveries.decide(
          this.state("Delivery", command.data.orderId),
          command,
          undefined,
          now,
        );
      default: {
        const unexpected: never = command;
        throw new Error(
          `no handler for ${(unexpected as { eventType: CriticalCommandName }).eventType}`,
        );
      }
    }
  }
}
