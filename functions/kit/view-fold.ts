import type { EventEnvelope } from "../../events/envelope.ts";
import type { Projection } from "./projector.ts";
import type { ViewUpdate } from "./read-models.ts";

/**
 * Folding many events into read-model items in memory: the batching logic shared by the rebuild
 * (and by any projector that writes a batch at a time). It mirrors, attribute by attribute, what
 * DynamoDB does with the single-event update expressions of {@link ReadModelStore.apply}:
 * `set` overwrites, `setIfAbsent` writes only a missing attribute, `add` adds to a number (absent
 * counts as 0), `append` appends to a list (absent counts as empty). So folding the events of a
 * batch and writing each item once gives the item the live projector would have written event
 * by event.
 *
 * The per-aggregate guards fold the same way: an aggregate's facts are applied in log order and
 * only while their sequence rises (a fact at or below the guard's last sequence is a duplicate);
 * the guard item written at the end holds the highest sequence applied. Facts without a sequence
 * are guarded by their event id (`seen` items).
 */

/** The attributes of one read-model item (without its keys). */
export type ItemState = Record<string, unknown>;

/** Where an item lives: `pk` and `sk` of the read-models table. */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** One key string for maps of items. */
export function itemId(key: ItemKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

/** The inverse of {@link itemId}. */
export function itemKeyOf(id: string): ItemKey {
  const at = id.indexOf("\u0000");
  return { pk: id.slice(0, at), sk: id.slice(at + 1) };
}

/** Keys of a version's items, as {@link ReadModelStore} lays them out. */
export const viewKeys = {
  view: (projection: string, version: number, update: ViewUpdate): ItemKey => ({
    pk: `${projection}#v${version}#${update.entity}`,
    sk: update.sk ?? "view",
  }),
  guard: (projection: string, version: number, event: EventEnvelope): ItemKey =>
    event.sequence === undefined
      ? { pk: `${projection}#v${version}#seen#${event.eventId}`, sk: "guard" }
      : {
          pk: `${projection}#v${version}#guard#${event.aggregateType}#${event.aggregateId}`,
          sk: "guard",
        },
};

/**
 * Applies one update to an item's attributes, as DynamoDB would; returns a new object.
 *
 * @example
 * ```ts
 * applyUpdate({ placed: 1 }, { entity: "totals", add: { placed: 2 } }); // { placed: 3 }
 * ```
 */
export function applyUpdate(
  item: ItemState | undefined,
  update: ViewUpdate,
  now: string,
): ItemState {
  const next: ItemState = { ...item };
  let touched = false;
  for (const [k, v] of Object.entries(update.set ?? {})) {
    next[k] = v;
    touched = true;
  }
  for (const [k, v] of Object.entries(update.setIfAbsent ?? {})) {
    if (next[k] === undefined) next[k] = v;
    touched = true;
  }
  for (const [k, v] of Object.entries(update.append ?? {})) {
    const current = next[k];
    next[k] = [...(Array.isArray(current) ? current : []), ...v];
    touched = true;
  }
  for (const [k, v] of Object.entries(update.add ?? {})) {
    next[k] = Number(next[k] ?? 0) + v;
    touched = true;
  }
  if (!touched) next.touchedAt = now;
  return next;
}

/** What a fold did: items changed (by key) and how many events it applied or found duplicate. */
export interface FoldResult {
  /** View items the batch changed, with their new state. */
  readonly views: Map<string, ItemState>;
  /** Guard items the batch changed, with their new state. */
  readonly guards: Map<string, ItemState>;
  readonly applied: number;
  readonly duplicates: number;
}

/** One event of a fold, worked out once: its guard item and its view items with their updates. */
export interface PlannedEvent {
  readonly event: EventEnvelope;
  readonly guardId: string;
  readonly views: readonly { readonly id: string; readonly update: ViewUpdate }[];
}

/** A batch ready to fold: the events of the projection's types and every item they touch. */
export interface FoldPlan {
  readonly events: readonly PlannedEvent[];
  /** Every item the fold reads (views and guards), by id ({@link itemKeyOf} gives its key). */
  readonly keys: ReadonlySet<string>;
}

/**
 * Projects each event of a batch once (the rebuild needs the items before it can load them, and
 * the fold needs the updates: computing them twice cost as much as the fold itself).
 *
 * @example
 * ```ts
 * const plan = planFold(orderSummaryProjection, 2, events);
 * await load([...plan.keys].map(itemKeyOf));
 * const result = foldPlan(plan, (id) => cache.get(id));
 * ```
 */
export function planFold(
  projection: Projection,
  version: number,
  events: readonly EventEnvelope[],
): FoldPlan {
  const keys = new Set<string>();
  const planned: PlannedEvent[] = [];
  const prefix = `${projection.name}#v${version}#`;
  for (const event of events) {
    if (!projection.eventTypes.has(event.eventType as never)) continue;
    // Ids built in one go (as itemId of the keys viewKeys gives): no key object per update.
    const guardId =
      event.sequence === undefined
        ? `${prefix}seen#${event.eventId}\u0000guard`
        : `${prefix}guard#${event.aggregateType}#${event.aggregateId}\u0000guard`;
    keys.add(guardId);
    const views: { id: string; update: ViewUpdate }[] = [];
    for (const update of projection.project(event as never)) {
      const id = `${prefix}${update.entity}\u0000${update.sk ?? "view"}`;
      keys.add(id);
      views.push({ id, update });
    }
    planned.push({ event, guardId, views });
  }
  return { events: planned, keys };
}

/** The items a fold reads before it can apply a batch (views and guards). */
export function keysTouched(
  projection: Projection,
  version: number,
  events: readonly EventEnvelope[],
): ItemKey[] {
  return [...planFold(projection, version, events).keys].map(itemKeyOf);
}

/**
 * Folds a batch of events (in log order per partition) into item states. `current` gives the
 * state of an item before the batch (`undefined`: absent); `frozen` names items whose stored
 * state already includes this batch (a batch redone after a crash mid-write): they are neither
 * changed nor returned.
 *
 * @example
 * ```ts
 * const result = foldEvents(orderSummaryProjection, 2, events, (id) => cache.get(id));
 * result.views.size; // items to write
 * ```
 */
export function foldEvents(
  projection: Projection,
  version: number,
  events: readonly EventEnvelope[],
  current: (id: string) => ItemState | undefined,
  frozen: (id: string) => boolean = () => false,
  now: string = new Date().toISOString(),
): FoldResult {
  return foldPlan(planFold(projection, version, events), current, frozen, now);
}

/**
 * {@link foldEvents} of a planned batch. States given by `current` are never changed: an item is
 * copied the first time the batch touches it (its lists when first appended to), and the copy is
 * then updated in place.
 */
export function foldPlan(
  plan: FoldPlan,
  current: (id: string) => ItemState | undefined,
  frozen: (id: string) => boolean = () => false,
  now: string = new Date().toISOString(),
): FoldResult {
  const views = new Map<string, ItemState>();
  const guards = new Map<string, ItemState>();
  const ownLists = new Set<unknown[]>();
  let applied = 0;
  let duplicates = 0;
  for (const { event, guardId, views: updates } of plan.events) {
    const guard = guards.get(guardId) ?? current(guardId);
    if (event.sequence === undefined) {
      if (guard !== undefined) {
        duplicates++;
        continue;
      }
      if (!frozen(guardId)) guards.set(guardId, { at: event.occurredAt });
    } else {
      const last = guard?.lastSequence;
      if (last !== undefined && Number(last) >= event.sequence) {
        duplicates++;
        continue;
      }
      if (!frozen(guardId)) {
        guards.set(guardId, {
          ...guard,
          lastSequence: event.sequence,
          lastEventId: event.eventId,
        });
      }
    }
    applied++;
    for (const { id, update } of updates) {
      if (frozen(id)) continue;
      let item = views.get(id);
      if (item === undefined) {
        item = { ...current(id) };
        views.set(id, item);
      }
      updateInPlace(item, update, now, ownLists);
    }
  }
  return { views, guards, applied, duplicates };
}

/** {@link applyUpdate} on an item the fold owns; lists not in `ownLists` are copied first. */
function updateInPlace(
  item: ItemState,
  update: ViewUpdate,
  now: string,
  ownLists: Set<unknown[]>,
): void {
  let touched = false;
  const { set, setIfAbsent, append, add } = update;
  if (set !== undefined) {
    for (const k in set) {
      item[k] = set[k];
      touched = true;
    }
  }
  if (setIfAbsent !== undefined) {
    for (const k in setIfAbsent) {
      if (item[k] === undefined) item[k] = setIfAbsent[k];
      touched = true;
    }
  }
  if (append !== undefined) {
    for (const k in append) {
      const values = append[k] as readonly unknown[];
      let list = item[k];
      if (!Array.isArray(list) || !ownLists.has(list)) {
        list = Array.isArray(list) ? [...list] : [];
        ownLists.add(list as unknown[]);
        item[k] = list;
      }
      for (const value of values) (list as unknown[]).push(value);
      touched = true;
    }
  }
  if (add !== undefined) {
    for (const k in add) {
      item[k] = Number(item[k] ?? 0) + (add[k] as number);
      touched = true;
    }
  }
  if (!touched) item.touchedAt = now;
}
