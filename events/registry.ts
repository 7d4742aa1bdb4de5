import { z } from "zod";
import { catalog } from "./catalog/index.ts";
import type { Domain, EventDefinition } from "./define.ts";
import type { EventEnvelope } from "./envelope.ts";
import { ENVELOPE_FIELDS, envelopeFieldExpectations, envelopeFieldSchemas } from "./envelope.ts";
import type { EventRef, SchemaIssue } from "./errors.ts";
import {
  CatalogDefinitionError,
  InvalidEnvelopeFieldError,
  MalformedEventError,
  MissingEnvelopeFieldError,
  SchemaViolationError,
  UnknownEventTypeError,
  UnsupportedEventVersionError,
  UpcastError,
} from "./errors.ts";
import type { TopicName } from "./topics.ts";
import type { AnyEvent, EventTypeName } from "./types.ts";
import { markValidated } from "./validated.ts";

function buildIndex(): ReadonlyMap<string, EventDefinition> {
  const index = new Map<string, EventDefinition>();
  for (const definition of catalog as readonly EventDefinition[]) {
    if (index.has(definition.type)) {
      throw new CatalogDefinitionError(`${definition.type}: declared twice in the catalog`);
    }
    index.set(definition.type, definition);
  }
  return index;
}

const index = buildIndex();

/**
 * Attributes whose values repeat from event to event (a few dozen types, versions, sources):
 * a value that passed its schema once is remembered, since a schema gives a value the same
 * answer every time. Up to {@link REMEMBERED_VALUES} values per attribute.
 */
const REPEATING_FIELDS = ["eventType", "eventVersion", "source", "aggregateType"] as const;
const REMEMBERED_VALUES = 1_024;
const passedValues = new Map<string, Set<unknown>>(REPEATING_FIELDS.map((f) => [f, new Set()]));

/** The other attributes in one schema (unknown keys, such as `data`, are left alone). */
const perEventAttributes = z.object(
  Object.fromEntries(
    Object.entries(envelopeFieldSchemas).filter(
      ([field]) => !(REPEATING_FIELDS as readonly string[]).includes(field),
    ),
  ),
);

/** Whether every envelope attribute passes its schema (as one `z.object` of them all would). */
function envelopeAttributesValid(candidate: Record<string, unknown>): boolean {
  for (const field of REPEATING_FIELDS) {
    const value = candidate[field];
    const passed = passedValues.get(field);
    if (passed?.has(value)) continue;
    if (!envelopeFieldSchemas[field].safeParse(value).success) return false;
    if (passed !== undefined && passed.size < REMEMBERED_VALUES) passed.add(value);
  }
  return perEventAttributes.safeParse(candidate).success;
}

/** Every definition in the catalog. */
export function allEventDefinitions(): readonly EventDefinition[] {
  return [...index.values()];
}

/** The definition of a type, or `undefined` when the catalog does not know it. */
export function findEventDefinition(eventType: string): EventDefinition | undefined {
  return index.get(eventType);
}

/**
 * The definition of a catalog type.
 *
 * @example
 * ```ts
 * eventDefinition("OrderPlaced").topic; // "order-events"
 * ```
 */
export function eventDefinition(eventType: EventTypeName): EventDefinition {
  const definition = index.get(eventType);
  if (definition === undefined) throw new UnknownEventTypeError({ eventType });
  return definition;
}

/**
 * The topics some event types go to, each once, in the order of the types: what a consumer of
 * those types reads, or a producer of them writes.
 *
 * @example
 * ```ts
 * topicsOf(["OrderPlaced", "PaymentFailed", "OrderCancelled"]); // ["order-events", "payment-events"]
 * ```
 */
export function topicsOf(eventTypes: Iterable<EventTypeName>): readonly TopicName[] {
  return [...new Set([...eventTypes].map((type) => eventDefinition(type).topic))];
}

/**
 * The topics of the facts (non-command events) of some domains, each once, in catalog order:
 * where the handler of those domains' commands writes what it decided.
 *
 * @example
 * ```ts
 * factTopicsOfDomains(["payments"]); // ["payment-events"]
 * ```
 */
export function factTopicsOfDomains(domains: Iterable<Domain>): readonly TopicName[] {
  const wanted = new Set(domains);
  return [
    ...new Set(
      allEventDefinitions()
        .filter((d) => !d.critical && wanted.has(d.domain))
        .map((d) => d.topic),
    ),
  ];
}

/** Renders a zod issue path as `data.items[0].quantity`. */
export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : `${out === "" ? "" : "."}${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

/** Turns zod issues into {@link SchemaIssue}s with paths from the envelope root. */
export function toSchemaIssues(error: z.ZodError, prefix = "data"): SchemaIssue[] {
  return error.issues.map((issue) => ({
    path: formatPath(prefix, issue.path),
    message: issue.message,
  }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function refOf(candidate: Record<string, unknown>): EventRef {
  const { eventId, eventType, eventVersion } = candidate;
  return {
    eventId: typeof eventId === "string" ? eventId.slice(0, 128) : undefined,
    eventType: typeof eventType === "string" ? eventType.slice(0, 128) : undefined,
    eventVersion: typeof eventVersion === "number" ? eventVersion : undefined,
  };
}

/**
 * Validates a candidate envelope (already parsed from JSON or rebuilt from headers), checks its
 * data against the schema of its type and version, and upcasts it to the latest version.
 * Throws only the typed errors of `errors.ts`.
 *
 * @example
 * ```ts
 * const event = decodeEvent(JSON.parse(body));
 * if (event.eventType === "OrderPlaced") event.data.currency; // always present: v1 is upcast
 * ```
 */
export function decodeEvent(candidate: unknown): AnyEvent {
  if (!isRecord(candidate)) {
    throw new MalformedEventError({}, "expected a JSON object as the event envelope");
  }
  const ref = refOf(candidate);
  for (const field of ENVELOPE_FIELDS) {
    if (candidate[field] === undefined || candidate[field] === null) {
      throw new MissingEnvelopeFieldError(ref, field);
    }
  }
  // One pass over every attribute; only on failure is the first bad one looked for, in order.
  if (!envelopeAttributesValid(candidate)) {
    for (const [field, schema] of Object.entries(envelopeFieldSchemas)) {
      if (!schema.safeParse(candidate[field]).success) {
        throw new InvalidEnvelopeFieldError(
          ref,
          field,
          envelopeFieldExpectations[field as keyof typeof envelopeFieldSchemas],
        );
      }
    }
  }
  const eventType = candidate.eventType as string;
  const definition = index.get(eventType);
  if (definition === undefined) throw new UnknownEventTypeError({ ...ref, eventType });
  if (candidate.aggregateType !== definition.aggregateType) {
    throw new InvalidEnvelopeFieldError(
      ref,
      "aggregateType",
      `'${definition.aggregateType}' for ${eventType}, got '${String(candidate.aggregateType)}'`,
    );
  }

  const writtenVersion = candidate.eventVersion as number;
  const written = definition.versions[writtenVersion - 1];
  if (written === undefined) {
    throw new UnsupportedEventVersionError(ref, definition.latestVersion);
  }
  const parsed = written.schema.safeParse(candidate.data);
  if (!parsed.success) throw new SchemaViolationError(ref, toSchemaIssues(parsed.error));

  let data: unknown = parsed.data;
  for (const next of definition.versions.slice(writtenVersion)) {
    const upcast = next.upcastFromPrevious;
    if (upcast === undefined) {
      throw new UpcastError(ref, `no upcaster to version ${next.version}`);
    }
    const result = next.schema.safeParse(upcast(data));
    if (!result.success) {
      throw new UpcastError(
        ref,
        `upcast to version ${next.version} produced invalid data: ${toSchemaIssues(result.error)
          .map((i) => `${i.path}: ${i.message}`)
          .join("; ")}`,
      );
    }
    data = result.data;
  }

  const aggregateId = candidate.aggregateId as string;
  const idInData = (data as Record<string, unknown>)[definition.aggregateIdField];
  if (idInData !== aggregateId) {
    throw new InvalidEnvelopeFieldError(
      ref,
      "aggregateId",
      `to equal data.${definition.aggregateIdField} ('${String(idInData)}'), got '${aggregateId}'`,
    );
  }

  const envelope: EventEnvelope = {
    eventId: candidate.eventId as string,
    eventType,
    eventVersion: definition.latestVersion,
    occurredAt: candidate.occurredAt as string,
    source: candidate.source as string,
    aggregateType: definition.aggregateType,
    aggregateId,
    correlationId: candidate.correlationId as string,
    causationId: candidate.causationId as string,
    ...(typeof candidate.traceparent === "string" ? { traceparent: candidate.traceparent } : {}),
    ...(typeof candidate.sequence === "number" ? { sequence: candidate.sequence } : {}),
    data,
  };
  return markValidated(envelope) as AnyEvent;
}
