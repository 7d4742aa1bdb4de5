import type { EventInput } from "../../events/create.ts";
import { createEvent } from "../../events/create.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { newEventId } from "../../events/event-id.ts";
import { eventDefinition } from "../../events/registry.ts";
import type { EventTypeName } from "../../events/types.ts";
import { backoffDelay, sleep } from "./backoff.ts";
import { clock } from "./clock.ts";
import { VersionConflictError } from "./errors.ts";
import { reportEffect } from "./history.ts";
import { LogPublishError } from "./log/errors.ts";
import type { Publisher } from "./publisher.ts";
import type { ItemChange, Stored, VersionedStore } from "./versioned-store.ts";
import { ConcurrentWriteError } from "./versioned-store.ts";

/** An event a decider wants to emit, before it gets an envelope. */
export interface Draft {
  readonly eventType: EventTypeName;
  readonly data: unknown;
  /**
   * The event id to give it, when the caller must know it before the commit (a saga records its
   * step's command id in the state it commits); a new UUIDv7 otherwise.
   */
  readonly eventId?: string;
}

/** One item a decision changes: its new state and the drafts it emits. */
export interface PlannedChange<S = unknown> {
  readonly stored: Stored<S>;
  readonly state: S;
  /** Facts of this item (they get this item's sequence numbers). */
  readonly facts?: readonly Draft[];
  /** Commands this item issues (a saga's next steps); no sequence. */
  readonly commands?: readonly Draft[];
  readonly set?: Readonly<Record<string, unknown>>;
  readonly remove?: readonly string[];
}

/** What caused a decision: a command, a fact, or a sweep acting for a flow. */
export interface Cause {
  readonly eventId: string;
  readonly correlationId: string;
  readonly traceparent?: string | undefined;
}

/** The outcome of deciding on one message against freshly loaded state. */
export interface Decision {
  /** The item that remembers the message as handled (the command's target aggregate). */
  readonly primary: Stored<unknown>;
  /** Items to write; empty when the decision changes nothing. */
  readonly changes: readonly PlannedChange[];
  /** Items whose pending outbox should be published even if nothing changes. */
  readonly touched: readonly Stored<unknown>[];
  /**
   * Whether to remember the message on the primary item even when nothing changes (default
   * true). False for messages that are harmless to see again and frequent, such as the facts a
   * saga ignores.
   */
  readonly recordHandled?: boolean;
}

export interface RunOptions {
  readonly store: VersionedStore;
  readonly publisher: Publisher;
  /** The command (or fact) being handled: causes the new events and is remembered as handled. */
  readonly cause: Cause;
  /** Loads fresh state and decides; called again after a version conflict. */
  readonly decide: () => Promise<Decision>;
  readonly maxAttempts?: number;
  /** Called between commit and publish (tests use it to simulate a crash there). */
  readonly afterCommit?: () => Promise<void>;
  readonly now?: () => Date;
}

/** What a run did. */
export interface RunResult {
  readonly alreadyHandled: boolean;
  readonly attempts: number;
  readonly published: readonly EventEnvelope[];
  /**
   * The log refused the publish after the state change (and its outbox) committed: the events wait
   * in the outbox for the next handling of the item or for the outbox sweeper, and the message
   * counts as handled (throwing would only bring it back until its queue dead-letters it).
   */
  readonly publishDeferred?: LogPublishError;
}

/**
 * The command-handler pattern with an outbox: decide on fresh state → one conditional write of
 * the new state(s) with the events → publish → mark published. An event is published only if its
 * state change committed (it is only ever published from the outbox), and every committed event is
 * published (here, or by the outbox sweeper after a crash). A version conflict re-reads and
 * decides again, with jittered backoff.
 *
 * A message already recorded as handled on its primary item changes nothing; its pending events,
 * if a crash left any, are published.
 *
 * A log refusal after the commit (`LogPublishError`: the publisher's retry budget spent) is not
 * the message's failure: what it committed is in the outbox, published later by the next handling
 * of the item (outbox first, so order per aggregate holds) or by the outbox sweeper. The run
 * returns with `publishDeferred` instead of throwing, so a log outage dead-letters nothing.
 *
 * @example
 * ```ts
 * await runDecision({ store, publisher, cause: command, decide: async () => {
 *   const order = await store.load(`Order#${id}`, initialOrder);
 *   const facts = decideOrder(order.state, command, context, now);
 *   return { primary: order, touched: [order],
 *            changes: [{ stored: order, state: facts.reduce(evolveOrder, order.state), facts }] };
 * }});
 * ```
 */
export async function runDecision(options: RunOptions): Promise<RunResult> {
  const maxAttempts = options.maxAttempts ?? 8;
  const now = options.now ?? (() => clock.now());
  for (let attempt = 1; ; attempt++) {
    const decision = await options.decide();
    if (decision.primary.handled.includes(options.cause.eventId)) {
      reportEffect("repeat");
      return {
        alreadyHandled: true,
        attempts: attempt,
        ...(await publishOrDefer(() => publishPending(options, decision.touched, []))),
      };
    }
    const at = now();
    const committed: ItemChange<unknown>[] = decision.changes.map((change) =>
      toItemChange(change, options.cause, change.stored.key === decision.primary.key, at),
    );
    if (committed.length === 0 && decision.recordHandled === false) {
      reportEffect("unchanged");
      return {
        alreadyHandled: false,
        attempts: attempt,
        ...(await publishOrDefer(() => publishPending(options, decision.touched, []))),
      };
    }
    if (!committed.some((c) => c.stored.key === decision.primary.key)) {
      // Remember the message even when the decision changes nothing (e.g. a rejected duplicate).
      committed.push({
        stored: decision.primary,
        state: decision.primary.state,
        events: [],
        factCount: 0,
        handledId: options.cause.eventId,
      });
    }
    try {
      await options.store.commit(committed, at);
    } catch (error) {
      if (error instanceof ConcurrentWriteError && attempt < maxAttempts) {
        await sleep(backoffDelay(attempt, { baseDelayMs: 10, maxDelayMs: 500 }));
        continue;
      }
      if (error instanceof ConcurrentWriteError) {
        throw new VersionConflictError(error.keys, attempt, { cause: error });
      }
      throw error;
    }
    reportEffect("applied");
    await options.afterCommit?.();
    const touched = [
      ...new Map(
        [...decision.touched, ...committed.map((c) => c.stored)].map((s) => [s.key, s]),
      ).values(),
    ];
    return {
      alreadyHandled: false,
      attempts: attempt,
      ...(await publishOrDefer(() =>
        publishPending(
          options,
          touched,
          committed.map((c) => ({ key: c.stored.key, events: c.events })),
          new Set(committed.map((c) => c.stored.key)),
        ),
      )),
    };
  }
}

function toItemChange(
  change: PlannedChange,
  cause: Cause,
  isPrimary: boolean,
  at: Date,
): ItemChange<unknown> {
  // Stamped with the kit's clock: occurredAt and the time-ordered id say when, by this function.
  const stamp = () => ({ occurredAt: at, eventId: newEventId(at.getTime()) });
  const facts = (change.facts ?? []).map((draft, i) =>
    createEvent(draft.eventType, draft.data as EventInput<EventTypeName>, {
      causedBy: cause,
      sequence: change.stored.sequence + i + 1,
      ...stamp(),
    }),
  );
  const commands = (change.commands ?? []).map((draft) =>
    createEvent(draft.eventType, draft.data as EventInput<EventTypeName>, {
      causedBy: cause,
      ...stamp(),
      ...(draft.eventId === undefined ? {} : { eventId: draft.eventId }),
    }),
  );
  return {
    stored: change.stored,
    state: change.state,
    events: [...facts, ...commands],
    factCount: facts.length,
    handledId: isPrimary ? cause.eventId : undefined,
    ...(change.set === undefined ? {} : { set: change.set }),
    ...(change.remove === undefined ? {} : { remove: change.remove }),
  };
}

/** Publishes, or leaves the outbox as it is when the log refuses (see {@link runDecision}). */
async function publishOrDefer(
  publish: () => Promise<EventEnvelope[]>,
): Promise<Pick<RunResult, "published" | "publishDeferred">> {
  try {
    return { published: await publish() };
  } catch (error) {
    if (error instanceof LogPublishError) return { published: [], publishDeferred: error };
    throw error;
  }
}

/**
 * Publishes what the touched items hold in their outboxes (older, crash-left events first) plus
 * the new events, in time order per item, then marks them published.
 */
async function publishPending(
  options: RunOptions,
  touched: readonly Stored<unknown>[],
  added: readonly { key: string; events: readonly EventEnvelope[] }[],
  committedKeys: ReadonlySet<string> = new Set(),
): Promise<EventEnvelope[]> {
  const byId = new Map<string, { event: EventEnvelope; key: string }>();
  for (const item of touched) {
    for (const event of item.outbox) byId.set(event.eventId, { event, key: item.key });
  }
  for (const { key, events } of added) {
    for (const event of events) byId.set(event.eventId, { event, key });
  }
  if (byId.size === 0) return [];
  const ordered = [...byId.values()].sort((a, b) =>
    a.event.eventId < b.event.eventId ? -1 : a.event.eventId > b.event.eventId ? 1 : 0,
  );
  await options.publisher.publish(ordered.map((o) => o.event));
  const byKey = new Map<string, string[]>();
  for (const { event, key } of ordered) {
    byKey.set(key, [...(byKey.get(key) ?? []), event.eventId]);
  }
  // What each item holds now is known (what was read, plus what this run committed), so marking
  // needs no read unless someone else wrote in between.
  const expected = new Map(
    touched.map((item) => {
      const committed = committedKeys.has(item.key);
      const outboxIds = [
        ...item.outbox.map((e) => e.eventId),
        ...(added.find((a) => a.key === item.key)?.events.map((e) => e.eventId) ?? []),
      ];
      return [item.key, { version: item.version + (committed ? 1 : 0), outboxIds }] as const;
    }),
  );
  await Promise.all(
    [...byKey].map(([key, ids]) => options.store.markPublished(key, ids, expected.get(key))),
  );
  return ordered.map((o) => o.event);
}

/**
 * A draft with its data parsed by the catalog (defaults filled in), i.e. what the event will
 * carry — the form `evolve` functions take.
 */
export function parseDraft<D extends Draft>(draft: D): D {
  const definition = eventDefinition(draft.eventType);
  return { ...draft, data: definition.latestSchema.parse(draft.data) };
}

/**
 * The usual decision: one aggregate, loaded fresh; `decide` returns its facts, `evolve` folds them
 * into the new state.
 *
 * @example
 * ```ts
 * decide: () => decideOn(store, `Delivery#${id}`, deliveries.initialState,
 *   (state) => deliveries.decide(state, command, undefined, new Date()),
 *   (state, fact) => deliveries.evolve(state, fact)),
 * ```
 */
export async function decideOn<S, F extends Draft>(
  store: VersionedStore,
  key: string,
  initialState: S,
  decide: (state: S) => readonly Draft[],
  evolve: (state: S, fact: F) => S,
): Promise<Decision> {
  const stored = await store.load(key, initialState);
  // Parsed by the catalog, a draft's data is the fact's data: the type `evolve` takes.
  const facts = decide(stored.state).map(parseDraft) as unknown as F[];
  return {
    primary: stored,
    touched: [stored],
    changes:
      facts.length === 0 ? [] : [{ stored, state: facts.reduce(evolve, stored.state), facts }],
  };
}

/** A command on one aggregate, for {@link runOnAggregate}. */
export interface AggregateCommand<S, F extends Draft, C> {
  readonly key: string;
  readonly initialState: S;
  /** Loads what the decision needs besides the aggregate; read afresh on every attempt. */
  readonly context?: () => Promise<C>;
  readonly decide: (state: S, context: C) => readonly Draft[];
  readonly evolve: (state: S, fact: F) => S;
}

/**
 * The command-handler pattern for the common case: one aggregate, an optional read-only context,
 * a pure decider and evolve function.
 *
 * @example
 * ```ts
 * await runOnAggregate(runtime, command, {
 *   key: `Delivery#${command.data.orderId}`,
 *   initialState: deliveries.initialState,
 *   decide: (state) => deliveries.decide(state, command, undefined, new Date()),
 *   evolve: deliveries.evolve,
 * });
 * ```
 */
export function runOnAggregate<S, F extends Draft, C = undefined>(
  target: { store(table: "aggregates"): VersionedStore; readonly publisher: Publisher },
  cause: Cause,
  spec: AggregateCommand<S, F, C>,
): Promise<RunResult> {
  const store = target.store("aggregates");
  return runDecision({
    store,
    publisher: target.publisher,
    cause,
    decide: async () => {
      const context = (await spec.context?.()) as C;
      return decideOn(
        store,
        spec.key,
        spec.initialState,
        (state) => spec.decide(state, context),
        spec.evolve,
      );
    },
  });
}
