import { z } from "zod";
import { MAX_SEQUENCE } from "./limits.ts";

/**
 * The one envelope every event travels in, on both lanes. It maps to CloudEvents attributes
 * (see `docs/event-format.md`): eventId → id, eventType → type, source → source,
 * occurredAt → time, aggregateId → subject, the rest as extension attributes.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** UUIDv7: unique and time-ordered. The idempotency key everywhere. */
  readonly eventId: string;
  readonly eventType: TType;
  /** The schema version `data` was written with. Readers see the latest after upcasting. */
  readonly eventVersion: number;
  /** ISO-8601 UTC timestamp of when the fact happened (or the command was issued). */
  readonly occurredAt: string;
  /** Who produced it, e.g. `duplex.orders`. Must not start with `aws.` (EventBridge reserves it). */
  readonly source: string;
  readonly aggregateType: string;
  /** The partition key on the log: order holds per aggregate. */
  readonly aggregateId: string;
  /** The flow this event belongs to: the id of the first command of the flow. */
  readonly correlationId: string;
  /** The event or command that caused this one (its own id for the first command of a flow). */
  readonly causationId: string;
  /** W3C trace context, when the producer had one. */
  readonly traceparent?: string | undefined;
  /**
   * Position of a fact in its aggregate's stream (1, 2, ...), set by the outbox when the fact is
   * committed; absent on commands. Projectors use it to apply each fact once and in order.
   * CloudEvents `sequence` extension.
   */
  readonly sequence?: number | undefined;
  readonly data: TData;
}

/** Envelope attributes in the order they are checked, so errors name the first missing one. */
export const ENVELOPE_FIELDS = [
  "eventId",
  "eventType",
  "eventVersion",
  "occurredAt",
  "source",
  "aggregateType",
  "aggregateId",
  "correlationId",
  "causationId",
  "data",
] as const;

/** A W3C `traceparent` header (version 00). */
export const TraceparentPattern = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** What each envelope attribute must look like; `data` is checked by the event type's schema. */
export const envelopeFieldSchemas = {
  eventId: z.uuid(),
  eventType: z.string().regex(/^[A-Z][A-Za-z0-9]{0,127}$/),
  eventVersion: z.number().int().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  // A pattern, not a refinement, so that the exported JSON Schemas carry the rule too.
  source: z
    .string()
    .min(1)
    .max(256)
    .regex(/^(?!aws\.)/, "must not start with 'aws.'"),
  aggregateType: z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/),
  aggregateId: z.string().min(1).max(256),
  correlationId: z.string().min(1).max(256),
  causationId: z.string().min(1).max(256),
  traceparent: z.string().regex(TraceparentPattern).optional(),
  sequence: z.number().int().min(1).max(MAX_SEQUENCE).optional(),
} as const;

/** Human wording of {@link envelopeFieldSchemas}, used in error messages. */
export const envelopeFieldExpectations: Readonly<
  Record<keyof typeof envelopeFieldSchemas, string>
> = {
  eventId: "a UUID (v7) string",
  eventType: "a PascalCase type name from the catalog",
  eventVersion: "an integer >= 1",
  occurredAt: "an ISO-8601 timestamp with offset, e.g. 2026-11-23T10:00:00.000Z",
  source: "a non-empty string of at most 256 characters, not starting with 'aws.'",
  aggregateType: "a PascalCase aggregate type name",
  aggregateId: "a non-empty string of at most 256 characters",
  correlationId: "a non-empty string of at most 256 characters",
  causationId: "a non-empty string of at most 256 characters",
  traceparent: "a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)",
  sequence: `an integer from 1 to ${MAX_SEQUENCE}`,
};
