import type { LogAdmin, LogClient } from "./log/port.ts";
import { LogRebuild, type RebuildProgress } from "./log-rebuild.ts";
import type { Projection } from "./projector.ts";
import type { ReadModelStore } from "./read-models.ts";
import { ViewBatchStore } from "./view-batch-store.ts";

export type { RebuildProgress } from "./log-rebuild.ts";

export interface RebuildOptions {
  readonly log: LogClient;
  readonly admin: LogAdmin;
  readonly store: ReadModelStore;
  readonly projection: Projection;
  /** Physical topics to read (the projector's topics, in the run's namespace). */
  readonly topics: readonly string[];
  /** The read-model version to write. */
  readonly version: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Save checkpoints and resume from one (default false here: scratch versions). */
  readonly checkpoints?: boolean;
  /** No progress this long fails the rebuild (default 120 s); there is no overall limit. */
  readonly stallTimeoutMs?: number;
  readonly flushEvents?: number;
  /** Item states kept between flushes (default 200,000); the others are read back when needed. */
  readonly cacheItems?: number;
  /** Read and decode on a worker thread (default `auto`: see `LogRebuildOptions.readOnWorker`). */
  readonly readOnWorker?: boolean | "auto";
}

/**
 * Replays a projection's topics from the start of the log into one read-model version, up to the
 * end offsets seen when it started, with the same pure projection and the same per-aggregate
 * guards as the live projector, a batch at a time ({@link LogRebuild}).
 *
 * The version must not receive live writes while this runs: the guards apply an aggregate's
 * facts only in increasing sequence, so a newer fact written first would make the rebuild skip
 * the older ones. Use a scratch version (as the demo's check does), or hand over from a paused
 * live projector before marking the version as building (as `duplex projection rebuild` does).
 *
 * @example
 * ```ts
 * await rebuildProjection({ log, admin, store, projection: orderSummaryProjection,
 *   topics: ["order-events", ...], version: 2 });
 * ```
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildProgress> {
  const rebuild = await LogRebuild.open({
    log: options.log,
    admin: options.admin,
    items: new ViewBatchStore(options.store.client, options.store.tableName),
    projection: options.projection,
    topics: options.topics,
    version: options.version,
    checkpoints: options.checkpoints ?? false,
    ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
    ...(options.flushEvents === undefined ? {} : { flushEvents: options.flushEvents }),
    ...(options.cacheItems === undefined ? {} : { cacheItems: options.cacheItems }),
    ...(options.readOnWorker === undefined ? {} : { readOnWorker: options.readOnWorker }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  try {
    return await rebuild.runTo(await rebuild.endOffsets());
  } finally {
    await rebuild.close();
  }
}

/** One difference between two versions of a read model. */
export interface ViewDifference {
  readonly entity: string;
  readonly kind: "missing-in-a" | "missing-in-b" | "different";
  readonly a?: unknown;
  readonly b?: unknown;
}

/**
 * Compares two versions of a read model item by item (attribute order and list order of JSON
 * values are significant; bookkeeping attributes such as `touchedAt` are ignored).
 */
export async function compareVersions(
  store: ReadModelStore,
  projection: string,
  a: number,
  b: number,
): Promise<ViewDifference[]> {
  const [left, right] = await Promise.all([store.all(projection, a), store.all(projection, b)]);
  const differences: ViewDifference[] = [];
  for (const [entity, value] of left) {
    const other = right.get(entity);
    if (other === undefined) differences.push({ entity, kind: "missing-in-b", a: value });
    else if (canonical(value) !== canonical(other)) {
      differences.push({ entity, kind: "different", a: value, b: other });
    }
  }
  for (const [entity, value] of right) {
    if (!left.has(entity)) differences.push({ entity, kind: "missing-in-a", b: value });
  }
  return differences;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([k]) => k !== "touchedAt")
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}
