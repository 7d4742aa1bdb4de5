/**
 * Every way an event can be refused, as named error classes.
 *
 * Decoding errors are never retryable: the same bytes will fail the same way, so the runtime
 * routes them straight to a dead-letter destination with the raw payload and this error's message.
 * Each message names the event (id and type when known) and the field or limit involved.
 */

/** What is known about the event an error is about; filled in as far as decoding got. */
export interface EventRef {
  readonly eventId?: string | undefined;
  readonly eventType?: string | undefined;
  readonly eventVersion?: number | undefined;
}

function describe(ref: EventRef): string {
  const parts: string[] = [];
  if (ref.eventType !== undefined) {
    parts.push(
      ref.eventVersion === undefined ? ref.eventType : `${ref.eventType} v${ref.eventVersion}`,
    );
  }
  if (ref.eventId !== undefined) parts.push(`event ${ref.eventId}`);
  return parts.length === 0 ? "event (id unknown)" : parts.join(", ");
}

/** Base class of every error raised while decoding or validating an event. */
export abstract class EventError extends Error {
  /** Stable machine-readable code, used in dead-letter records and metrics. */
  abstract readonly code: string;
  /** Whether trying again could succeed. Decoding errors never can. */
  readonly retryable: boolean = false;
  readonly ref: EventRef;

  constructor(ref: EventRef, detail: string, options?: { cause?: unknown }) {
    super(`${describe(ref)}: ${detail}`, options);
    this.name = new.target.name;
    this.ref = ref;
  }
}

/** The payload is not JSON (or not the JSON shape a record must have). */
export class MalformedEventError extends EventError {
  readonly code = "MALFORMED_JSON";
}

/** A required envelope attribute is absent. */
export class MissingEnvelopeFieldError extends EventError {
  readonly code = "MISSING_ENVELOPE_FIELD";
  readonly field: string;
  constructor(ref: EventRef, field: string) {
    super(ref, `missing envelope field '${field}'`);
    this.field = field;
  }
}

/** An envelope attribute is present but has the wrong form. */
export class InvalidEnvelopeFieldError extends EventError {
  readonly code = "INVALID_ENVELOPE_FIELD";
  readonly field: string;
  constructor(ref: EventRef, field: string, expected: string) {
    super(ref, `envelope field '${field}': expected ${expected}`);
    this.field = field;
  }
}

/** The event type is not in the catalog. */
export class UnknownEventTypeError extends EventError {
  readonly code = "UNKNOWN_EVENT_TYPE";
  constructor(ref: EventRef & { eventType: string }) {
    super(ref, `unknown event type '${ref.eventType}' (not in the catalog)`);
  }
}

/** The event's version is not one the catalog knows (typically: newer than this reader). */
export class UnsupportedEventVersionError extends EventError {
  readonly code = "UNSUPPORTED_EVENT_VERSION";
  readonly latestKnown: number;
  constructor(ref: EventRef, latestKnown: number) {
    super(
      ref,
      `unsupported eventVersion ${String(ref.eventVersion)}: this reader knows versions 1..${latestKnown}` +
        (ref.eventVersion !== undefined && ref.eventVersion > latestKnown
          ? " (written by a newer producer: deploy the newer catalog to this consumer)"
          : ""),
    );
    this.latestKnown = latestKnown;
  }
}

/** One field that broke the schema. */
export interface SchemaIssue {
  /** Dotted path from the envelope root, e.g. `data.items[0].quantity`. */
  readonly path: string;
  readonly message: string;
}

/** The `data` of the event does not match the schema of its type and version. */
export class SchemaViolationError extends EventError {
  readonly code = "SCHEMA_VIOLATION";
  readonly issues: readonly SchemaIssue[];
  constructor(ref: EventRef, issues: readonly SchemaIssue[]) {
    super(ref, `schema violation: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.issues = issues;
  }
}

/** The encoded event is larger than the lane it is sent on accepts. */
export class PayloadTooLargeError extends EventError {
  readonly code = "PAYLOAD_TOO_LARGE";
  readonly lane: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(ref: EventRef, lane: string, sizeBytes: number, limitBytes: number) {
    super(ref, `payload of ${sizeBytes} bytes exceeds the ${lane} limit of ${limitBytes} bytes`);
    this.lane = lane;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** An upcaster produced data that the next version's schema rejects: a bug in the catalog. */
export class UpcastError extends EventError {
  readonly code = "UPCAST_FAILED";
}

/** The catalog itself is inconsistent (duplicate type, gap in versions, wrong topic kind, ...). */
export class CatalogDefinitionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CatalogDefinitionError";
  }
}

/** A topic setting is invalid; the message names the topic and the field. */
export class TopicConfigError extends Error {
  readonly topic: string;
  readonly field: string;
  constructor(topic: string, field: string, detail: string) {
    super(`topic ${topic}: ${field}: ${detail}`);
    this.name = "TopicConfigError";
    this.topic = topic;
    this.field = field;
  }
}
