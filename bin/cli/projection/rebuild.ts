import { fromKafkaRecord } from "../../../events/codecs/kafka.ts";
import { EventError } from "../../../events/errors.ts";
import type { LogConsumer } from "../../../functions/kit/log/port.ts";
import { applyProjection } from "../../../functions/kit/projector.ts";
import { RefusedError } from "../errors.ts";
import { waitForEmptyGroup } from "../replay/log.ts";
import type { Target } from "../target/target.ts";
import {
  LIVE_POINTER_TTL_MS,
  nextVersion,
  type ProjectionInfo,
  readModelStore,
} from "./projections.ts";

/**
 * Rebuilding a projection into a fresh version while the live one keeps serving.
 *
 * Why not simply `beginRebuild` first and read from offset 0 while the live projector writes both
 * versions: the read models guard each aggregate with its last applied sequence, so once the live
 * projector has written a *newer* event of an aggregate into the new version, the rebuild's older
 * events of that aggregate count as duplicates and are dropped — every aggregate touched during the
 * rebuild would come out incomplete. So:
 *
 * 1. catch up: a dedicated group (`duplex-rebuild.<name>.v<N>`) reads the projector's topics from
 *    offset 0 into version N only, up to the end offsets seen at the start; the live projector
 *    serves and writes only the live version;
 * 2. hand over (seconds): the live projector's consumers are stopped (local host pollers / event
 *    source mappings), the rebuild reads on to at least their committed offsets, stops, the pointer
 *    gets `buildingVersion = N`, and once a live projector's cached pointer has expired, its
 *    consumers start again — from their committed offsets, now writing both versions. Every event
 *    reaches version N in log order: the rebuild's prefix, then the live projector's rest;
 * 3. verify (optional) and switch: version N becomes live.
 *
 * The live version stays readable throughout; during the hand-over it stops advancing for a few
 * seconds locally (on AWS, as long as disabling and enabling the mappings takes).
 */
export interface RebuildProgress {
  readonly phase: "catching-up" | "handing-over" | "building" | "switched";
  readonly version: number;
  readonly events: number;
  readonly applied: number;
  readonly skipped: number;
  readonly remaining: number;
  readonly eventsPerSecond: number;
  readonly elapsedMs: number;
}

export interface RebuildOptions {
  readonly info: ProjectionInfo;
  readonly signal: AbortSignal;
  readonly onProgress: (progress: RebuildProgress) => void;
}

export interface RebuildResult extends RebuildProgress {
  readonly liveVersion: number;
  readonly pausedMs: number;
}

class Aborted extends Error {}

/** Steps 1 and 2: afterwards the pointer says `buildingVersion = N` and both versions are written. */
export async function rebuildIntoNewVersion(
  target: Target,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const { info, signal } = options;
  const name = info.projection.name;
  const store = readModelStore(target);
  const pointer = await store.pointer(name, true);
  if (pointer.buildingVersion !== undefined) {
    throw new RefusedError(
      `a rebuild of ${name} into v${pointer.buildingVersion} is already in progress (the live projector writes both versions)`,
      {
        hint: `finish it (duplex projection switch ${name}) or drop it (duplex projection cancel ${name})`,
      },
    );
  }
  const prefix = target.topicPrefix;
  const liveGroups = info.groups.map((g) => ({
    ...g,
    physical: `${prefix}${g.groupId}`,
    physicalTopic: `${prefix}${g.topic}`,
  }));
  const active = [];
  for (const g of liveGroups)
    if ((await target.admin.describeGroup(g.physical)).members > 0) active.push(g);
  const reason = active.length > 0 ? target.consumers.unavailableReason() : undefined;
  if (reason !== undefined)
    throw new RefusedError(`cannot hand over from the live projector: ${reason}`);

  const version = await nextVersion(target, name);
  const startedAt = new Date();
  const mark = (state: string, extra: Record<string, unknown> = {}) =>
    store.markRebuildProgress(name, version, {
      state,
      startedAt: startedAt.toISOString(),
      by: `duplex-cli pid ${process.pid}`,
      ...extra,
    });
  await mark("catching-up");

  const topics = liveGroups.map((g) => g.physicalTopic);
  const positions = new Map<string, bigint>();
  const targets = new Map<string, bigint>();
  for (const topic of topics) {
    for (const p of await target.admin.topicOffsets(topic)) {
      positions.set(`${topic}:${p.partition}`, BigInt(p.low));
      targets.set(`${topic}:${p.partition}`, BigInt(p.high));
    }
  }
  let events = 0;
  let applied = 0;
  let skipped = 0;
  let phase: RebuildProgress["phase"] = "catching-up";
  const t0 = Date.now();
  let lastEventAt = t0;
  const remaining = () => {
    let n = 0n;
    for (const [key, to] of targets) {
      const at = positions.get(key) ?? 0n;
      if (to > at) n += to - at;
    }
    return Number(n);
  };
  const progress = (): RebuildProgress => ({
    phase,
    version,
    events,
    applied,
    skipped,
    remaining: remaining(),
    // Over the time spent reading (not the hand-over's waits).
    eventsPerSecond: events / Math.max(0.001, (lastEventAt - t0) / 1000),
    elapsedMs: Date.now() - t0,
  });
  let wake: () => void = () => undefined;
  const caughtUp = async () => {
    while (remaining() > 0) {
      if (signal.aborted) throw new Aborted("interrupted");
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1_000);
      });
      options.onProgress(progress());
    }
  };

  const groupId = `${prefix}duplex-rebuild.${name}.v${version}`;
  let failure: unknown;
  let consumer: LogConsumer | undefined = target.log.consumer({
    groupId,
    topics,
    startFrom: "earliest",
    maxBatchSize: 500,
    maxWaitMs: 100,
  });
  const running = consumer.run(async (batch) => {
    const key = `${batch.topic}:${batch.partition}`;
    for (const record of batch.records) {
      try {
        applied += await applyProjection(store, info.projection, fromKafkaRecord(record), [
          version,
        ]);
      } catch (error) {
        // What the live projector dead-letters (undecodable records), the rebuild skips too.
        if (!(error instanceof EventError)) throw error;
        skipped++;
      }
      events++;
      lastEventAt = Date.now();
      positions.set(key, BigInt(record.offset) + 1n);
    }
    if (remaining() === 0) wake();
  });
  running.catch((error: unknown) => {
    failure = error;
    wake();
  });
  const stopRebuildConsumer = async () => {
    const c = consumer;
    consumer = undefined;
    await c?.stop().catch(() => undefined);
  };

  let pausedMs = 0;
  try {
    await caughtUp();
    // Hand-over: stop the live consumers, read on to their committed offsets, then let them write
    // both versions from there.
    phase = "handing-over";
    options.onProgress(progress());
    const stopped: typeof liveGroups = [];
    const pausedAt = Date.now();
    try {
      for (const g of active) {
        await target.consumers.stop(g.physical);
        stopped.push(g);
      }
      for (const g of active) await waitForEmptyGroup(target, g.physical);
      for (const g of liveGroups) {
        const [offsets, committed] = await Promise.all([
          target.admin.topicOffsets(g.physicalTopic),
          target.admin.groupOffsets(g.physical, [g.physicalTopic]),
        ]);
        for (const p of offsets) {
          const c = committed.find((o) => o.partition === p.partition)?.offset ?? null;
          const from =
            c !== null
              ? BigInt(c)
              : g.trigger.startingPosition === "TRIM_HORIZON"
                ? BigInt(p.low)
                : BigInt(p.high);
          const key = `${g.physicalTopic}:${p.partition}`;
          targets.set(key, from);
        }
      }
      await caughtUp();
      await stopRebuildConsumer();
      await store.beginRebuild(name, version);
      await mark("building", { events, applied, skipped });
      // A live projector may still hold the pointer it read before the pause.
      const wait = LIVE_POINTER_TTL_MS + 500 - (Date.now() - pausedAt);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    } finally {
      for (const g of stopped) await target.consumers.start(g.physical);
      pausedMs = Date.now() - pausedAt;
    }
    phase = "building";
    const result = { ...progress(), liveVersion: pointer.liveVersion, pausedMs };
    options.onProgress(result);
    return result;
  } catch (error) {
    await stopRebuildConsumer();
    await mark(error instanceof Aborted ? "interrupted" : "failed", {
      events,
      error: error instanceof Error ? error.message : String(error),
    }).catch(() => undefined);
    throw error;
  } finally {
    await stopRebuildConsumer();
    await target.admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

/** Waits until the live projector's groups have no lag (so both versions hold the same events). */
export async function waitForLiveToSettle(
  target: Target,
  info: ProjectionInfo,
  timeoutMs = 60_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let lag = 0n;
    for (const g of info.groups) {
      const topic = `${target.topicPrefix}${g.topic}`;
      const [offsets, committed] = await Promise.all([
        target.admin.topicOffsets(topic),
        target.admin.groupOffsets(`${target.topicPrefix}${g.groupId}`, [topic]),
      ]);
      for (const p of offsets) {
        const c = committed.find((o) => o.partition === p.partition)?.offset;
        const from = c === null || c === undefined ? BigInt(p.low) : BigInt(c);
        if (BigInt(p.high) > from) lag += BigInt(p.high) - from;
      }
    }
    if (lag === 0n) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
