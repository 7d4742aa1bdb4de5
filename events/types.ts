import type { catalog } from "./catalog/index.ts";
import type { DataOf } from "./define.ts";
import type { EventEnvelope } from "./envelope.ts";

/** The definition of any type in the catalog. */
export type CatalogEntry = (typeof catalog)[number];

/** The name of any type in the catalog. */
export type EventTypeName = CatalogEntry["type"];

/** The name of a critical command (a type ending in `Requested`). */
export type CriticalCommandName = Extract<EventTypeName, `${string}Requested`>;

/** The latest data shape of a type. */
export type EventData<T extends EventTypeName> = DataOf<Extract<CatalogEntry, { type: T }>>;

/** A decoded event of one type, in its latest version. */
export type EventOf<T extends EventTypeName> = EventEnvelope<T, EventData<T>>;

/**
 * Any decoded event, as a discriminated union on `eventType`: `switch (event.eventType)` narrows
 * `data`, and an exhaustive switch fails to compile when a type is added to the catalog.
 */
export type AnyEvent = { readonly [T in EventTypeName]: EventOf<T> }[EventTypeName];

/** Any critical command. */
export type AnyCommand = Extract<AnyEvent, { eventType: CriticalCommandName }>;

/** Any fact (non-command event). */
export type AnyFact = Exclude<AnyEvent, { eventType: CriticalCommandName }>;
