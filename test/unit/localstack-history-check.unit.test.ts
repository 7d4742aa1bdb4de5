import { describe, expect, it } from "vitest";
import type { EffectEntry, HistoryEntry, PublishEntry } from "../../functions/kit/history.ts";
import type { LoggedRecord, Subscriptions } from "../../localstack/history/check.ts";
import { checkHistory } from "../../localstack/history/check.ts";

/**
 * The history checker's rules on hand-made histories (Given a history and the log read back,
 * When it is checked, Then ...).
 */

const topic = "t1.order-events";
const commandTopic = "t1.order-commands";
const subscriptions: Subscriptions = {
  topics: new Map([
    [topic, ["order-saga", "order-summary-projector"]],
    [commandTopic, ["fast-lane-ledger"]],
  ]),
  commands: new Map([["PlaceOrderRequested", "order-commands"]]),
};

let clock = 1_000;
const tick = () => clock++;

function acked(id: string, offset: number, options: Partial<PublishEntry> = {}): PublishEntry {
  return {
    k: "publish",
    at: tick(),
    src: "order-commands",
    ids: [id],
    types: ["OrderPlaced"],
    keys: ["o-1"],
    topics: [topic],
    outcome: "acknowledged",
    positions: [[0, String(offset)]],
    attempts: 1,
    ms: 3,
    ...options,
  };
}

function refused(id: string, type = "OrderPlaced"): PublishEntry {
  return {
    k: "publish",
    at: tick(),
    src: "driver",
    ids: [id],
    types: [type],
    keys: ["o-1"],
    outcome: "refused",
    attempts: 7,
    ms: 10_000,
    error: "Cannot connect to any broker",
  };
}

function effect(
  src: string,
  id: string,
  offset: number,
  outcome: EffectEntry["outcome"] = "applied",
  key = "o-1",
): EffectEntry {
  return {
    k: "effect",
    at: tick(),
    src,
    via: "log",
    id,
    type: "OrderPlaced",
    key,
    topic,
    partition: 0,
    offset: String(offset),
    outcome,
  };
}

function logged(id: string, offset: number, key = "o-1", t = topic): LoggedRecord {
  return { topic: t, partition: 0, offset: String(offset), id, type: "OrderPlaced", key };
}

/** Both subscribers of `topic` consumed `id` at `offset`. */
const consumedByAll = (id: string, offset: number): HistoryEntry[] => [
  effect("order-saga", id, offset),
  effect("order-summary-projector", id, offset),
];

describe("checkHistory", () => {
  it("passes a run where everything acknowledged is in the log and consumed once by every subscriber", () => {
    const history = [
      acked("e1", 0),
      ...consumedByAll("e1", 0),
      acked("e2", 1),
      ...consumedByAll("e2", 1),
    ];
    const report = checkHistory(history, [logged("e1", 0), logged("e2", 1)], subscriptions);
    expect(report).toMatchObject({ ok: true, acknowledged: 2, lost: 0, duplicateEffects: 0 });
    expect(report.violations).toEqual([]);
  });

  it("finds an acknowledged event missing from the log", () => {
    const history = [acked("e1", 0), ...consumedByAll("e1", 0), acked("e2", 1)];
    const report = checkHistory(history, [logged("e1", 0)], subscriptions);
    expect(report.lost).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.violations.map((v) => v.rule)).toContain("lost");
    expect(report.violations.find((v) => v.rule === "lost")?.detail).toMatch(/e2/);
  });

  it("accepts an event found elsewhere in its topic (the position was unknown)", () => {
    const history = [acked("e1", -1, { positions: [[-1, "-1"]] }), ...consumedByAll("e1", 3)];
    const report = checkHistory(history, [logged("e1", 3)], subscriptions);
    expect(report.lost).toBe(0);
    expect(report.ok).toBe(true);
  });

  it("finds an acknowledged event a subscriber never consumed", () => {
    const history = [acked("e1", 0), effect("order-saga", "e1", 0)];
    const report = checkHistory(history, [logged("e1", 0)], subscriptions);
    expect(report.violations).toEqual([
      expect.objectContaining({
        rule: "not-consumed",
        detail: expect.stringMatching(/order-summary-projector/),
      }),
    ]);
  });

  it("counts unconsumed events of a run stopped early, but still finds the lost ones", () => {
    const history = [acked("e1", 0), effect("order-saga", "e1", 0), acked("e2", 1)];
    const report = checkHistory(history, [logged("e1", 0)], subscriptions, { stoppedEarly: true });
    expect(report.unconsumedWhenStopped).toBe(2);
    expect(report.violations.map((v) => v.rule)).toEqual(["lost"]);
  });

  it("requires a critical command to be handled on the fast lane too", () => {
    const command = acked("c1", 0, { types: ["PlaceOrderRequested"], topics: [commandTopic] });
    const ledgered: EffectEntry = {
      ...effect("fast-lane-ledger", "c1", 0),
      topic: commandTopic,
      type: "PlaceOrderRequested",
    };
    const handled: EffectEntry = {
      k: "effect",
      at: tick(),
      src: "order-commands",
      via: "fast-lane",
      id: "c1",
      type: "PlaceOrderRequested",
      key: "o-1",
      outcome: "applied",
    };
    const log = [logged("c1", 0, "o-1", commandTopic)];
    expect(checkHistory([command, ledgered], log, subscriptions).violations).toEqual([
      expect.objectContaining({ rule: "not-consumed", detail: expect.stringMatching(/fast lane/) }),
    ]);
    expect(checkHistory([command, ledgered, handled], log, subscriptions).ok).toBe(true);
  });

  it("counts repeats as absorbed and two applications as a duplicate effect", () => {
    const repeats = [
      acked("e1", 0),
      ...consumedByAll("e1", 0),
      effect("order-saga", "e1", 0, "repeat"),
    ];
    const fine = checkHistory(repeats, [logged("e1", 0)], subscriptions);
    expect(fine).toMatchObject({ ok: true, repeatsAbsorbed: 1, duplicateEffects: 0 });

    const twice = [...repeats, effect("order-saga", "e1", 7)];
    const report = checkHistory(twice, [logged("e1", 0), logged("e1", 7)], subscriptions);
    expect(report.duplicateEffects).toBe(1);
    expect(report.logDuplicates).toBe(1);
    expect(report.violations).toEqual([
      expect.objectContaining({
        rule: "duplicate-effect",
        detail: expect.stringMatching(/order-saga applied OrderPlaced e1 2 times/),
      }),
    ]);
  });

  it("finds a consumer that applied an aggregate's events out of log order, but not a re-read", () => {
    const base = [acked("e1", 0), acked("e2", 1)];
    const log = [logged("e1", 0), logged("e2", 1)];
    const inOrderWithRetry = [
      ...base,
      effect("order-saga", "e1", 0),
      effect("order-saga", "e2", 1, "failed"),
      effect("order-saga", "e1", 0, "repeat"),
      effect("order-saga", "e2", 1),
      effect("order-summary-projector", "e1", 0),
      effect("order-summary-projector", "e2", 1),
    ];
    expect(checkHistory(inOrderWithRetry, log, subscriptions).ok).toBe(true);

    const swapped = [
      ...base,
      effect("order-saga", "e2", 1),
      effect("order-saga", "e1", 0),
      effect("order-summary-projector", "e1", 0),
      effect("order-summary-projector", "e2", 1),
    ];
    expect(checkHistory(swapped, log, subscriptions).violations).toEqual([
      expect.objectContaining({
        rule: "out-of-order",
        detail: expect.stringMatching(/e1.*after e2/),
      }),
    ]);
  });

  it("keeps order per aggregate only: other keys interleave freely", () => {
    const history = [
      acked("a1", 0, { keys: ["o-a"] }),
      acked("b1", 1, { keys: ["o-b"] }),
      effect("order-saga", "b1", 1, "applied", "o-b"),
      effect("order-saga", "a1", 0, "applied", "o-a"),
      effect("order-summary-projector", "a1", 0, "applied", "o-a"),
      effect("order-summary-projector", "b1", 1, "applied", "o-b"),
    ];
    const log = [logged("a1", 0, "o-a"), logged("b1", 1, "o-b")];
    expect(checkHistory(history, log, subscriptions).ok).toBe(true);
  });

  it("finds a command put on the fast lane without the log's acknowledgement", () => {
    const history: HistoryEntry[] = [
      refused("c1", "PlaceOrderRequested"),
      { k: "fast-lane", at: tick(), src: "driver", delivered: ["c1"], failed: [] },
    ];
    const report = checkHistory(history, [], subscriptions);
    expect(report.violations).toEqual([
      expect.objectContaining({ rule: "half-published", detail: expect.stringMatching(/c1/) }),
    ]);
  });

  it("tells refusals retried into acknowledgements from refusals that left an event in the log", () => {
    const retried = [refused("e1"), acked("e1", 0), ...consumedByAll("e1", 0)];
    expect(checkHistory(retried, [logged("e1", 0)], subscriptions)).toMatchObject({
      ok: true,
      refused: 1,
      retriedAfterRefusal: 1,
      neverAcknowledged: 0,
      refusedCalls: 1,
    });
    const ambiguous = [refused("e2"), ...consumedByAll("e2", 0)];
    expect(checkHistory(ambiguous, [logged("e2", 0)], subscriptions)).toMatchObject({
      ok: true,
      refusedButLogged: 1,
      neverAcknowledged: 1,
    });
  });

  it("finds a function acting on a refused event the log does not hold", () => {
    const history = [refused("e3"), effect("order-saga", "e3", 0)];
    expect(checkHistory(history, [], subscriptions).violations).toEqual([
      expect.objectContaining({ rule: "half-published", detail: expect.stringMatching(/e3/) }),
    ]);
  });

  it("counts effects seen only as repeats (their environment died before recording)", () => {
    const history = [
      acked("e1", 0),
      effect("order-saga", "e1", 0, "repeat"),
      effect("order-summary-projector", "e1", 0),
    ];
    const report = checkHistory(history, [logged("e1", 0)], subscriptions);
    expect(report).toMatchObject({ ok: true, firstHandlingUnrecorded: 1 });
  });
});
