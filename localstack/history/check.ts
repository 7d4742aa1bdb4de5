import type {
  EffectEntry,
  FastLaneEntry,
  HistoryEntry,
  PublishEntry,
} from "../../functions/kit/history.ts";

/**
 * The history checker's rules, as a pure function of a run's history (what producers and
 * consumers recorded, `functions/kit/history.ts`) and of the log read back from offset 0. Anchors:
 * Jepsen's histories (operations with their outcome, checked after the fact) and the verifiable
 * producer/consumer of Kafka's system tests (every acknowledged record must be consumed).
 */

/** One record read back from the log (its CloudEvents headers, not the whole event). */
export interface LoggedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** `ce_id`; empty for a record that is not an event. */
  readonly id: string;
  readonly type: string;
  readonly key: string;
}

/** Who consumes what: the functions that must see each record of a topic or command type. */
export interface Subscriptions {
  /** Physical topic → functions reading it (their consumer groups). */
  readonly topics: ReadonlyMap<string, readonly string[]>;
  /** Critical command type → the function that handles it on the fast lane. */
  readonly commands: ReadonlyMap<string, string>;
}

/** One thing the checker found wrong, with the ids to look at. */
export interface Violation {
  readonly rule: ViolationRule;
  readonly detail: string;
}

export type ViolationRule =
  | "lost"
  | "not-consumed"
  | "duplicate-effect"
  | "out-of-order"
  | "half-published";

/** What the checker found. */
export interface HistoryReport {
  /** Distinct events the log acknowledged to a producer. */
  readonly acknowledged: number;
  /** Distinct events the log refused at least once. */
  readonly refused: number;
  /** Refused events never acknowledged later (the producer gave up on them). */
  readonly neverAcknowledged: number;
  /** Publish calls refused (a refused call retried later counts once per refusal). */
  readonly refusedCalls: number;
  /** Events refused and later acknowledged (a caller that retried). */
  readonly retriedAfterRefusal: number;
  /** Refused events that are in the log anyway (an acknowledgement lost on its way back). */
  readonly refusedButLogged: number;
  /** Acknowledged events missing from the log. */
  readonly lost: number;
  /** Events that took effect twice in one function. */
  readonly duplicateEffects: number;
  /** Event ids present more than once in the log (retried publishes; consumers skip them). */
  readonly logDuplicates: number;
  /** Deliveries a function recognised as repeats (idempotency, handled ids, sequence guards). */
  readonly repeatsAbsorbed: number;
  /** Handlings that threw (and were retried). */
  readonly failedHandlings: number;
  /** Records dead-lettered by a consumer. */
  readonly deadLettered: number;
  /** Effects seen only as repeats: their first handling was in an environment killed before it recorded. */
  readonly firstHandlingUnrecorded: number;
  /**
   * Acknowledged events some subscriber had not consumed when the run was stopped early (a run
   * that timed out): counted here instead of as `not-consumed` violations.
   */
  readonly unconsumedWhenStopped: number;
  /** Effect entries checked. */
  readonly effects: number;
  readonly violations: readonly Violation[];
  readonly ok: boolean;
}

/** How to read a history. */
export interface HistoryCheckOptions {
  /**
   * The run was stopped before its work ended (it timed out): acknowledged events not consumed yet
   * are expected and counted in {@link HistoryReport.unconsumedWhenStopped}.
   * @default false
   */
  readonly stoppedEarly?: boolean;
}

const CONSUMED: ReadonlySet<EffectEntry["outcome"]> = new Set([
  "applied",
  "repeat",
  "unchanged",
  "ignored",
  "dead-lettered",
]);

/**
 * Checks a run:
 * 1. **nothing acknowledged is lost** — every event a publish was acknowledged for is in the log
 *    (at the position the broker gave, or at least in its topic);
 * 2. **everything acknowledged is consumed** — by every function subscribed to its topic, and
 *    (critical commands) by its fast-lane handler;
 * 3. **no duplicate effect** — no function applied one event twice;
 * 4. **order per aggregate** — each function applied an aggregate's events in log order;
 * 5. **nothing half-published** — nothing reached the fast lane unless the log had acknowledged
 *    it first, and no function acted on an event that was refused and is not in the log.
 *
 * Rule 2 holds only for a run that was let finish: with `stoppedEarly` the events not yet
 * consumed are counted, not reported as violations; the other rules hold at any stopping point.
 *
 * @example
 * ```ts
 * const report = checkHistory(entries, logged, subscriptions);
 * if (!report.ok) console.log(report.violations);
 * ```
 */
export function checkHistory(
  entries: readonly HistoryEntry[],
  logged: readonly LoggedRecord[],
  subscriptions: Subscriptions,
  options: HistoryCheckOptions = {},
): HistoryReport {
  const violations: Violation[] = [];
  const publishes = entries.filter((e): e is PublishEntry => e.k === "publish");
  const fastLanes = entries.filter((e): e is FastLaneEntry => e.k === "fast-lane");
  const effects = entries.filter((e): e is EffectEntry => e.k === "effect");

  // The log, by event id and by position.
  const byId = new Map<string, LoggedRecord[]>();
  const byPosition = new Map<string, LoggedRecord>();
  for (const record of logged) {
    byPosition.set(`${record.topic}:${record.partition}:${record.offset}`, record);
    if (record.id === "") continue;
    const list = byId.get(record.id) ?? [];
    list.push(record);
    byId.set(record.id, list);
  }
  const logDuplicates = [...byId.values()].filter((list) => list.length > 1).length;

  // Publishes: the first acknowledgement of each event, and refusals.
  const acknowledged = new Map<
    string,
    { at: number; topic: string; partition: number; offset: string; type: string }
  >();
  const refusedIds = new Set<string>();
  let refusedCalls = 0;
  for (const publish of [...publishes].sort((a, b) => a.at - b.at)) {
    if (publish.outcome === "refused") {
      refusedCalls++;
      for (const id of publish.ids) refusedIds.add(id);
      continue;
    }
    publish.ids.forEach((id, i) => {
      if (acknowledged.has(id)) return;
      const [partition, offset] = publish.positions?.[i] ?? [-1, "-1"];
      acknowledged.set(id, {
        at: publish.at,
        topic: publish.topics?.[i] ?? "",
        partition,
        offset,
        type: publish.types[i] ?? "",
      });
    });
  }

  // 1. Nothing acknowledged is lost.
  let lost = 0;
  for (const [id, ack] of acknowledged) {
    const atPosition = byPosition.get(`${ack.topic}:${ack.partition}:${ack.offset}`);
    if (atPosition?.id === id) continue;
    const elsewhere = (byId.get(id) ?? []).some((r) => r.topic === ack.topic);
    if (elsewhere) continue;
    lost++;
    violations.push({
      rule: "lost",
      detail: `${ack.type} ${id} acknowledged at ${ack.topic}/${ack.partition}@${ack.offset} is not in the log`,
    });
  }

  // 2. Everything acknowledged is consumed by every subscriber (when the run was let finish).
  let unconsumedWhenStopped = 0;
  const consumedBy = new Map<string, Set<string>>();
  for (const effect of effects) {
    if (!CONSUMED.has(effect.outcome)) continue;
    const key = `${effect.src}\u0000${effect.id}`;
    const vias = consumedBy.get(key) ?? new Set<string>();
    vias.add(effect.via);
    consumedBy.set(key, vias);
  }
  for (const [id, ack] of acknowledged) {
    const missing: string[] = [];
    for (const fn of subscriptions.topics.get(ack.topic) ?? []) {
      if (!consumedBy.get(`${fn}\u0000${id}`)?.has("log")) missing.push(`${fn} (log)`);
    }
    const handler = subscriptions.commands.get(ack.type);
    if (handler !== undefined && !consumedBy.get(`${handler}\u0000${id}`)?.has("fast-lane")) {
      missing.push(`${handler} (fast lane)`);
    }
    if (missing.length > 0 && options.stoppedEarly === true) {
      unconsumedWhenStopped++;
    } else if (missing.length > 0) {
      violations.push({
        rule: "not-consumed",
        detail: `${ack.type} ${id} (${ack.topic}/${ack.partition}@${ack.offset}) never consumed by ${missing.join(", ")}`,
      });
    }
  }

  // 3. No duplicate effect; effects seen only as repeats.
  const applied = new Map<string, EffectEntry[]>();
  const repeated = new Set<string>();
  for (const effect of effects) {
    const key = `${effect.src}\u0000${effect.id}`;
    if (effect.outcome === "applied") applied.set(key, [...(applied.get(key) ?? []), effect]);
    if (effect.outcome === "repeat") repeated.add(key);
  }
  let duplicateEffects = 0;
  for (const [key, list] of applied) {
    if (list.length < 2) continue;
    duplicateEffects++;
    const [fn, id] = key.split("\u0000");
    violations.push({
      rule: "duplicate-effect",
      detail: `${fn} applied ${list[0]?.type} ${id} ${list.length} times (${list
        .map((e) => (e.via === "log" ? `${e.topic}/${e.partition}@${e.offset}` : e.via))
        .join(", ")})`,
    });
  }
  const firstHandlingUnrecorded = [...repeated].filter((key) => !applied.has(key)).length;

  // 4. Order per aggregate: the log offsets a function applied rise, per topic and key.
  const lastApplied = new Map<string, { offset: bigint; id: string }>();
  for (const effect of [...effects].sort((a, b) => a.at - b.at)) {
    if (effect.via !== "log" || effect.outcome !== "applied" || effect.offset === undefined)
      continue;
    const key = `${effect.src}\u0000${effect.topic}\u0000${effect.key}`;
    const offset = BigInt(effect.offset);
    const before = lastApplied.get(key);
    if (before !== undefined && offset < before.offset) {
      violations.push({
        rule: "out-of-order",
        detail: `${effect.src} applied ${effect.type} ${effect.id} (${effect.topic}/${effect.partition}@${effect.offset}) after ${before.id} (@${before.offset}) of aggregate ${effect.key}`,
      });
    }
    if (before === undefined || offset > before.offset) {
      lastApplied.set(key, { offset, id: effect.id });
    }
  }

  // 5. Nothing half-published.
  for (const lane of fastLanes) {
    for (const id of lane.delivered) {
      const ack = acknowledged.get(id);
      if (ack === undefined || ack.at > lane.at) {
        violations.push({
          rule: "half-published",
          detail: `${id} went on the fast lane (${lane.src}) without the log's acknowledgement first`,
        });
      }
    }
  }
  let refusedButLogged = 0;
  let retriedAfterRefusal = 0;
  let neverAcknowledged = 0;
  for (const id of refusedIds) {
    if (acknowledged.has(id)) {
      retriedAfterRefusal++;
      continue;
    }
    neverAcknowledged++;
    if (byId.has(id)) {
      refusedButLogged++;
      continue;
    }
    const actedOn = effects.find(
      (e) => e.id === id && (e.outcome === "applied" || e.outcome === "unchanged"),
    );
    if (actedOn !== undefined) {
      violations.push({
        rule: "half-published",
        detail: `${actedOn.src} acted on ${actedOn.type} ${id}, which the log refused and does not hold`,
      });
    }
  }

  return {
    acknowledged: acknowledged.size,
    refused: refusedIds.size,
    neverAcknowledged,
    refusedCalls,
    retriedAfterRefusal,
    refusedButLogged,
    lost,
    duplicateEffects,
    logDuplicates,
    repeatsAbsorbed: effects.filter((e) => e.outcome === "repeat").length,
    failedHandlings: effects.filter((e) => e.outcome === "failed" || e.error !== undefined).length,
    deadLettered: effects.filter((e) => e.outcome === "dead-lettered").length,
    firstHandlingUnrecorded,
    unconsumedWhenStopped,
    effects: effects.length,
    violations,
    ok: violations.length === 0,
  };
}
