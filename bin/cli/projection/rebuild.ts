import { RebuildStalledError } from "../../../functions/kit/errors.ts";
import {
  type RebuildProgress as KitRebuildProgress,
  LogRebuild,
  RebuildAbortedError,
} from "../../../functions/kit/log-rebuild.ts";
import { ViewBatchStore } from "../../../functions/kit/view-batch-store.ts";
import { RefusedError } from "../errors.ts";
import { waitForEmptyGroup } from "../replay/log.ts";
import type { Target } from "../target/target.ts";
import {
  LIVE_POINTER_TTL_MS,
  nextVersion,
  type ProjectionInfo,
  readModelStore,
  rebuildRecords,
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
 * 1. catch up: the batched rebuild ({@link LogRebuild}) reads the projector's topics from offset 0
 *    into version N only, up to the end offsets seen at the start, with a checkpoint per flush (a
 *    crashed or interrupted rebuild goes on with `--resume`); the live projector serves and
 *    writes only the live version;
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
  /** Estimated time left at the current rate (undefined before the first flush). */
  readonly etaMs: number | undefined;
  readonly elapsedMs: number;
  /** The checkpoint's flush number (a resumed rebuild goes on from there). */
  readonly flush: number;
  readonly resumedAt?: number | undefined;
  /** Whether the records were read and decoded on a worker thread (`--read-on`). */
  readonly readOnWorker?: boolean | undefined;
}

export interface RebuildOptions {
  readonly info: ProjectionInfo;
  readonly signal: AbortSignal;
  readonly onProgress: (progress: RebuildProgress) => void;
  /** Resume this version from its checkpoint instead of starting a new one. */
  readonly resumeVersion?: number | undefined;
  /** No progress for this long fails the rebuild (it can be resumed). */
  readonly stallTimeoutMs?: number | undefined;
  /** Events folded per batch write. */
  readonly flushEvents?: number | undefined;
  /** Read and decode on a worker thread (`auto`: see `LogRebuildOptions.readOnWorker`). */
  readonly readOnWorker?: boolean | "auto" | undefined;
}

export interface RebuildResult extends RebuildProgress {
  readonly liveVersion: number;
  readonly pausedMs: number;
}

/** States of a rebuild record that `--resume` can continue. */
const RESUMABLE = new Set(["catching-up", "handing-over", "interrupted", "failed", "stalled"]);

/** The version a `--resume` continues: the given one, or the newest resumable rebuild. */
export async function resumableVersion(
  target: Target,
  name: string,
  version: number | undefined,
): Promise<number> {
  const records = await rebuildRecords(target, name);
  const candidates = records.filter(
    (r) =>
      RESUMABLE.has(String(r.progress.state)) && (version === undefined || r.version === version),
  );
  const chosen = candidates[candidates.length - 1];
  if (chosen === undefined) {
    throw new RefusedError(
      version === undefined
        ? `${name} has no interrupted rebuild to resume`
        : `${name} v${version} is not an interrupted rebuild`,
      {
        hint: `see duplex projection list; start a new one with: duplex projection rebuild ${name}`,
      },
    );
  }
  return chosen.version;
}

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
  const resumingWithControl =
    options.resumeVersion !== undefined && target.consumers.unavailableReason() === undefined;
  if (resumingWithControl) {
    // A rebuild that died in its hand-over left the live consumers stopped: start them (starting a
    // running one changes nothing).
    for (const g of liveGroups) await target.consumers.start(g.physical).catch(() => undefined);
  }
  const active = [];
  for (const g of liveGroups)
    if (resumingWithControl || (await target.admin.describeGroup(g.physical)).members > 0)
      active.push(g);
  const reason = active.length > 0 ? target.consumers.unavailableReason() : undefined;
  if (reason !== undefined)
    throw new RefusedError(`cannot hand over from the live projector: ${reason}`);

  const version =
    options.resumeVersion !== undefined ? options.resumeVersion : await nextVersion(target, name);
  const startedAt = new Date();
  const mark = (state: string, extra: Record<string, unknown> = {}) =>
    store.markRebuildProgress(name, version, {
      state,
      startedAt: startedAt.toISOString(),
      by: `duplex-cli pid ${process.pid}`,
      ...extra,
    });
  await mark("catching-up");

  let phase: RebuildProgress["phase"] = "catching-up";
  const rebuild = await LogRebuild.open({
    log: target.log,
    admin: target.admin,
    items: new ViewBatchStore(target.doc, target.resources.tables["read-models"]),
    projection: info.projection,
    topics: liveGroups.map((g) => g.physicalTopic),
    version,
    checkpoints: true,
    signal,
    ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
    ...(options.flushEvents === undefined ? {} : { flushEvents: options.flushEvents }),
    ...(options.readOnWorker === undefined ? {} : { readOnWorker: options.readOnWorker }),
    onProgress: (p) => options.onProgress(cliProgress(phase, version, p)),
  });
  const progress = () => cliProgress(phase, version, rebuild.progress());

  let pausedMs = 0;
  try {
    await rebuild.runTo(await rebuild.endOffsets());
    // Hand-over: stop the live consumers, read on to their committed offsets, then let them write
    // both versions from there.
    phase = "handing-over";
    await mark("handing-over");
    options.onProgress(progress());
    const stopped: typeof liveGroups = [];
    const pausedAt = Date.now();
    try {
      for (const g of active) {
        await target.consumers.stop(g.physical);
        stopped.push(g);
      }
      for (const g of active) await waitForEmptyGroup(target, g.physical);
      const targets = new Map<string, bigint>();
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
          targets.set(`${g.physicalTopic}:${p.partition}`, from);
        }
      }
      await rebuild.runTo(targets);
      await rebuild.close();
      await store.beginRebuild(name, version);
      const done = progress();
      await mark("building", { events: done.events, applied: done.applied, skipped: done.skipped });
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
    await rebuild.close();
    const state =
      error instanceof RebuildAbortedError
        ? "interrupted"
        : error instanceof RebuildStalledError
          ? "stalled"
          : "failed";
    await mark(state, {
      events: rebuild.progress().events,
      error: error instanceof Error ? error.message : String(error),
    }).catch(() => undefined);
    throw error;
  } finally {
    await rebuild.close();
  }
}

function cliProgress(
  phase: RebuildProgress["phase"],
  version: number,
  p: KitRebuildProgress,
): RebuildProgress {
  return {
    phase,
    version,
    events: p.events,
    applied: p.applied,
    skipped: p.skipped,
    remaining: p.remaining,
    eventsPerSecond: p.eventsPerSecond,
    etaMs: p.etaMs,
    elapsedMs: p.elapsedMs,
    flush: p.flush,
    resumedAt: p.resumedAt,
    readOnWorker: p.readOnWorker,
  };
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
