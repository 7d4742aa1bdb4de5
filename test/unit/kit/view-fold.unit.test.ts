import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../../events/envelope.ts";
import { customerOrdersProjection } from "../../../functions/customer-orders-projector/projection.ts";
import { inventoryLevelsProjection } from "../../../functions/inventory-levels-projector/projection.ts";
import { BloomFilter } from "../../../functions/kit/bloom.ts";
import type { Projection } from "../../../functions/kit/projector.ts";
import {
  applyUpdate,
  foldEvents,
  type ItemState,
  itemId,
  viewKeys,
} from "../../../functions/kit/view-fold.ts";
import { orderSummaryProjection } from "../../../functions/order-summary-projector/projection.ts";
import { salesAnalyticsProjection } from "../../../functions/sales-analytics-projector/projection.ts";
import { orderHistory } from "../../../localstack/demo/history.ts";

const NOW = "2026-12-05T00:00:00.000Z";
const history: EventEnvelope[] = [
  ...orderHistory({ events: 3_000, seed: 7, endMs: 1_800_000_000_000 }),
]
  .flat()
  .map((h) => h.event);
const projections = [
  orderSummaryProjection,
  inventoryLevelsProjection,
  customerOrdersProjection,
  salesAnalyticsProjection,
];

/** Folds `events` in flushes of the given sizes, carrying the written state between them. */
function foldInFlushes(projection: Projection, events: readonly EventEnvelope[], sizes: number[]) {
  const store = new Map<string, ItemState>();
  let at = 0;
  let i = 0;
  while (at < events.length) {
    const size = Math.max(1, sizes[i++ % sizes.length] ?? 1);
    const batch = events.slice(at, at + size);
    at += size;
    const result = foldEvents(projection, 2, batch, (id) => store.get(id), undefined, NOW);
    for (const [id, state] of [...result.views, ...result.guards]) store.set(id, state);
  }
  return store;
}

describe("foldEvents (a batch folded per read-model item)", () => {
  it("Given a history, When folded in flushes of any size, Then every item equals the event-by-event result", () => {
    for (const projection of projections) {
      const oneByOne = foldInFlushes(projection, history, [1]);
      expect(oneByOne.size).toBeGreaterThan(0);
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
          (sizes) => {
            expect(foldInFlushes(projection, history, sizes)).toEqual(oneByOne);
          },
        ),
        { numRuns: 6 },
      );
    }
  }, 120_000);

  it("Given an event twice in one batch (an outbox re-publish), Then it is applied once", () => {
    const placed = history.find((e) => e.eventType === "OrderPlaced") as EventEnvelope;
    const result = foldEvents(salesAnalyticsProjection, 2, [placed, placed], () => undefined);
    expect(result.applied).toBe(1);
    expect(result.duplicates).toBe(1);
    const totals = result.views.get(itemId({ pk: "sales-analytics#v2#totals", sk: "view" }));
    expect(totals?.ordersPlaced).toBe(1);
  });

  it("Given a guard at sequence 3, When facts 2, 3 and 4 come, Then only 4 is applied (as the live guard's condition)", () => {
    const first = history.find((e) => e.eventType === "OrderPlaced") as EventEnvelope;
    const guardId = itemId(viewKeys.guard("order-summary", 2, first));
    const facts = [2, 3, 4].map((sequence) => ({ ...first, eventId: `e-${sequence}`, sequence }));
    const result = foldEvents(orderSummaryProjection, 2, facts, (id) =>
      id === guardId ? { lastSequence: 3, lastEventId: "x" } : undefined,
    );
    expect(result.applied).toBe(1);
    expect(result.duplicates).toBe(2);
    expect(result.guards.get(guardId)?.lastSequence).toBe(4);
  });

  it("Given a flush that crashed after writing some of its view items, When it is redone with those frozen, Then the items equal an uninterrupted flush", () => {
    const projection = customerOrdersProjection;
    const cut = Math.floor(history.length / 2);
    const before = foldInFlushes(projection, history.slice(0, cut), [400]);
    const flush = history.slice(cut);
    const whole = foldEvents(projection, 2, flush, (id) => before.get(id), undefined, NOW);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (share) => {
        // The crash: a share of the view items is written, no guard item is.
        const stored = new Map(before);
        const written = new Set<string>();
        for (const [id, state] of whole.views) {
          if (written.size < whole.views.size * share) {
            stored.set(id, state);
            written.add(id);
          }
        }
        const redo = foldEvents(
          projection,
          2,
          flush,
          (id) => stored.get(id),
          (id) => written.has(id),
          NOW,
        );
        for (const [id, state] of [...redo.views, ...redo.guards]) stored.set(id, state);
        const expected = new Map(before);
        for (const [id, state] of [...whole.views, ...whole.guards]) expected.set(id, state);
        expect(stored).toEqual(expected);
      }),
      { numRuns: 20 },
    );
  }, 60_000);
});

describe("applyUpdate (DynamoDB's update semantics)", () => {
  it("sets, sets only if absent, adds from 0 and appends to a missing list", () => {
    const item = applyUpdate(
      { name: "old", first: "kept" },
      {
        entity: "e",
        set: { name: "new" },
        setIfAbsent: { first: "not", since: "2026" },
        add: { count: 2 },
        append: { log: ["a"] },
      },
      NOW,
    );
    expect(item).toEqual({ name: "new", first: "kept", since: "2026", count: 2, log: ["a"] });
    expect(
      applyUpdate(item, { entity: "e", add: { count: -1 }, append: { log: ["b"] } }, NOW),
    ).toEqual({ ...item, count: 1, log: ["a", "b"] });
  });
});

describe("BloomFilter", () => {
  it("never forgets what was added, and rarely claims what was not", () => {
    const filter = new BloomFilter(16 * 10_000);
    for (let i = 0; i < 10_000; i++) filter.add(`item-${i}`);
    for (let i = 0; i < 10_000; i++) expect(filter.mayContain(`item-${i}`)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 10_000; i++) if (filter.mayContain(`other-${i}`)) falsePositives++;
    expect(falsePositives).toBeLessThan(100);
  });
});
