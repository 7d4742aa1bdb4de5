import type { LogAccess } from "../kit/log-query/access.ts";
import type { DeclaredGroup } from "../kit/log-query/groups.ts";
import { measureLag } from "../kit/log-query/lag.ts";
import type { ReadModelStore } from "../kit/read-models.ts";

/** How current a read model's answer is: its version and how far its projector is behind the log. */
export interface Freshness {
  readonly name: string;
  /** The live version the answer was read from. */
  readonly version: number;
  /** A version being rebuilt, if any (the live one keeps serving). */
  readonly buildingVersion?: number;
  /** Records on the projector's topics not yet applied (sum over its consumer groups). */
  readonly lag: number;
  readonly consumers: readonly { readonly groupId: string; readonly lag: number }[];
  readonly measuredAt: string;
}

const CACHE_MS = 1_000;

/**
 * Version and lag of a projection, measured from the consumer groups' committed offsets against
 * the log's end offsets — the same measure as `duplex lag` — and cached a second per execution
 * environment (an answer's lag is at most that much older than the answer).
 */
export class FreshnessProbe {
  readonly #access: LogAccess;
  readonly #store: ReadModelStore;
  readonly #groupsOf: (projection: string) => readonly DeclaredGroup[];
  readonly #cache = new Map<string, { at: number; value: Promise<Freshness> }>();

  constructor(
    access: LogAccess,
    store: ReadModelStore,
    groupsOf: (projection: string) => readonly DeclaredGroup[],
  ) {
    this.#access = access;
    this.#store = store;
    this.#groupsOf = groupsOf;
  }

  of(projection: string): Promise<Freshness> {
    const cached = this.#cache.get(projection);
    if (cached !== undefined && Date.now() - cached.at < CACHE_MS) return cached.value;
    const value = this.#measure(projection);
    this.#cache.set(projection, { at: Date.now(), value });
    value.catch(() => this.#cache.delete(projection));
    return value;
  }

  async #measure(projection: string): Promise<Freshness> {
    const [pointer, lags] = await Promise.all([
      this.#store.pointer(projection, true),
      measureLag(this.#access, this.#groupsOf(projection), { oldest: false }),
    ]);
    return {
      name: projection,
      version: pointer.liveVersion,
      ...(pointer.buildingVersion === undefined
        ? {}
        : { buildingVersion: pointer.buildingVersion }),
      lag: lags.reduce((n, g) => n + g.lag, 0),
      consumers: lags.map((g) => ({ groupId: g.groupId, lag: g.lag })),
      measuredAt: new Date().toISOString(),
    };
  }
}
