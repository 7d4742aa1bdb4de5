import type { z } from "zod";
import { CatalogDefinitionError } from "./errors.ts";
import type { TopicName } from "./topics.ts";
import { topicSpecs } from "./topics.ts";

/** The bounded contexts of the demo domain. */
export type Domain = "customers" | "orders" | "inventory" | "payments" | "deliveries";

/** The lanes an event travels on: every event on the log, critical commands also on the fast lane. */
export type Lane = "log" | "fast";

/**
 * How a new version of a type must relate to its predecessor (Confluent's vocabulary):
 * BACKWARD — readers of the new version can read data written with the previous one;
 * FORWARD — readers of the previous version can read data written with the new one;
 * FULL — both; NONE — no check (only for types with a single consumer that upgrades in lockstep).
 */
export type CompatibilityMode = "BACKWARD" | "FORWARD" | "FULL" | "NONE";

/** The suffix that makes an event type a critical command. */
export const CRITICAL_SUFFIX = "Requested";

/** Whether a type is a critical command: derived from its name, never set by hand. */
export function isCriticalCommand(eventType: string): boolean {
  return eventType.endsWith(CRITICAL_SUFFIX);
}

/** One schema version of an event type. */
export interface EventVersionDefinition {
  readonly version: number;
  readonly schema: z.ZodType;
  /** Turns data of the previous version into data of this one. Absent for version 1. */
  readonly upcastFromPrevious?: ((previous: unknown) => unknown) | undefined;
}

/** Everything the catalog says about one event type. */
export interface EventDefinition<TType extends string = string, TData = unknown, TInput = TData> {
  readonly type: TType;
  readonly domain: Domain;
  readonly aggregateType: string;
  /** The field of `data` that holds the aggregate id. */
  readonly aggregateIdField: string;
  readonly topic: TopicName;
  /** Always the envelope's aggregate id: order holds per aggregate. */
  readonly partitionKey: "aggregateId";
  readonly compatibility: CompatibilityMode;
  /** True when the type name ends in `Requested`. */
  readonly critical: boolean;
  readonly lanes: readonly Lane[];
  readonly description: string;
  readonly versions: readonly EventVersionDefinition[];
  readonly latestVersion: number;
  /** The schema of the latest version; what producers write and consumers see. */
  readonly latestSchema: z.ZodType<TData, TInput>;
  /** Source attribute producers of this type use, e.g. `duplex.orders`. */
  readonly source: string;
}

/** The data type of an event definition's latest version. */
export type DataOf<D> = D extends EventDefinition<string, infer TData, unknown> ? TData : never;

/** The data a producer writes for an event definition: its latest version's input. */
export type InputOf<D> = D extends EventDefinition<string, unknown, infer TInput> ? TInput : never;

interface EventMeta {
  readonly domain: Domain;
  readonly aggregateType: string;
  /** The field of `data` that holds the aggregate id (the envelope's `aggregateId` must equal it). */
  readonly aggregateIdField: string;
  readonly topic: TopicName;
  readonly compatibility?: CompatibilityMode;
  readonly description: string;
}

/** Adds versions one at a time, so each upcaster is typed by the version before it. */
export interface EventVersionBuilder<TType extends string, TLatest extends z.ZodType> {
  /**
   * Adds the next version with the upcaster from the previous one.
   * The upcaster returns the new version's *input* (defaults may be left out).
   */
  version<S extends z.ZodType>(
    version: number,
    schema: S,
    upcast: (previous: z.output<TLatest>) => z.input<S>,
  ): EventVersionBuilder<TType, S>;
  build(): EventDefinition<TType, z.output<TLatest>, z.input<TLatest>>;
}

/**
 * Declares an event type. Lanes and criticality come from the name; the topic's kind must match
 * (critical commands go to a `commands` topic, facts to an `events` topic); versions are 1, 2, ...
 * with no gaps.
 *
 * @example
 * ```ts
 * export const OrderPlaced = defineEvent("OrderPlaced", {
 *   domain: "orders", aggregateType: "Order", topic: "order-events",
 *   compatibility: "BACKWARD", description: "An order was accepted.",
 * }, OrderPlacedV1)
 *   .version(2, OrderPlacedV2, (v1) => ({ ...v1, currency: "EUR" }))
 *   .build();
 * ```
 */
export function defineEvent<TType extends string, S extends z.ZodType>(
  type: TType,
  meta: EventMeta,
  firstSchema: S,
): EventVersionBuilder<TType, S> {
  const versions: EventVersionDefinition[] = [{ version: 1, schema: firstSchema }];

  const builder: EventVersionBuilder<TType, z.ZodType> = {
    version(version, schema, upcast) {
      const expected = versions.length + 1;
      if (version !== expected) {
        throw new CatalogDefinitionError(
          `${type}: versions must be consecutive; got version ${version}, expected ${expected}`,
        );
      }
      versions.push({
        version,
        schema,
        upcastFromPrevious: upcast as (previous: unknown) => unknown,
      });
      return builder as never;
    },
    build() {
      return finish(type, meta, versions);
    },
  };
  return builder as unknown as EventVersionBuilder<TType, S>;
}

function finish<TType extends string>(
  type: TType,
  meta: EventMeta,
  versions: readonly EventVersionDefinition[],
): EventDefinition<TType, never, never> {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(type)) {
    throw new CatalogDefinitionError(`${type}: event type names are PascalCase`);
  }
  const critical = isCriticalCommand(type);
  const topic = topicSpecs[meta.topic];
  if (topic === undefined) {
    throw new CatalogDefinitionError(`${type}: topic '${meta.topic}' is not in the topic list`);
  }
  const expectedKind = critical ? "commands" : "events";
  if (topic.kind !== expectedKind) {
    throw new CatalogDefinitionError(
      `${type}: ${critical ? "a critical command" : "an event"} must go to a '${expectedKind}' topic, ` +
        `but '${meta.topic}' is a '${topic.kind}' topic`,
    );
  }
  const latest = versions[versions.length - 1];
  if (latest === undefined) throw new CatalogDefinitionError(`${type}: no versions`);
  for (const { version, schema } of versions) {
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    if (shape === undefined || !(meta.aggregateIdField in shape)) {
      throw new CatalogDefinitionError(
        `${type} v${version}: data has no '${meta.aggregateIdField}' field, the aggregate id of ${meta.aggregateType}`,
      );
    }
  }
  return {
    type,
    domain: meta.domain,
    aggregateType: meta.aggregateType,
    aggregateIdField: meta.aggregateIdField,
    topic: meta.topic,
    partitionKey: "aggregateId",
    compatibility: meta.compatibility ?? "BACKWARD",
    critical,
    lanes: critical ? ["log", "fast"] : ["log"],
    description: meta.description,
    versions,
    latestVersion: latest.version,
    latestSchema: latest.schema as z.ZodType<never, never>,
    source: `duplex.${meta.domain}`,
  };
}
