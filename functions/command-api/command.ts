import { type EventEnvelope, TraceparentPattern } from "../../events/envelope.ts";
import { EventError, MalformedEventError, SchemaViolationError } from "../../events/errors.ts";
import { newEventId } from "../../events/event-id.ts";
import { decodeEvent, findEventDefinition, toSchemaIssues } from "../../events/registry.ts";
import type { AnyCommand } from "../../events/types.ts";
import { HttpProblem } from "../kit/http/errors.ts";

/** Source of every command that enters through the HTTP API. */
export const HTTP_COMMAND_SOURCE = "duplex.http-api";

/** What a client sends for one command: the type (path), the data (body), optional version. */
export interface CommandRequest {
  readonly type: string;
  /** Parsed JSON of the body: the command's `data`. */
  readonly data: unknown;
  readonly version: number;
  readonly traceparent?: string | undefined;
}

/** The problem answer of a catalog error: which event, which field, what was expected. */
export function problemOfEventError(error: EventError, type: string): HttpProblem {
  const errors =
    error instanceof SchemaViolationError
      ? error.issues.map((i) => ({ field: i.path, message: i.message }))
      : "field" in error && typeof error.field === "string"
        ? [{ field: error.field, message: error.message }]
        : undefined;
  const tooLarge = error.code === "PAYLOAD_TOO_LARGE";
  return new HttpProblem({
    status: tooLarge ? 413 : 400,
    kind: error.code.toLowerCase().replaceAll("_", "-"),
    title: tooLarge ? "Command too large" : "Invalid command",
    detail: error.message,
    code: error.code,
    ...(errors === undefined ? {} : { errors }),
    extensions: { eventType: type },
    cause: error,
  });
}

/**
 * Parses and checks a request against the catalog, in this order: the type is a critical command
 * (`404` otherwise), the version is known, the body is JSON, the data matches that version's
 * schema (every bad field named, `data.items[0].quantity`); then builds the envelope (a new flow:
 * correlation and causation are the command's own id) and upcasts it to the latest version.
 *
 * @example
 * ```ts
 * const request = parseCommandRequest("PlaceOrderRequested", body, { version: undefined });
 * const command = buildCommand(request); // validated, ready for the publisher
 * ```
 */
export function parseCommandRequest(
  type: string,
  body: string | undefined,
  options: { version?: string | undefined; traceparent?: string | undefined },
): CommandRequest {
  const definition = findEventDefinition(type);
  if (definition === undefined || !definition.critical) {
    throw new HttpProblem({
      status: 404,
      kind: "unknown-command",
      title: "Unknown command type",
      detail:
        definition === undefined
          ? `'${type.slice(0, 128)}' is not in the catalog`
          : `${type} is a fact, not a command: facts are produced by Duplex's handlers, never sent`,
      code: "UNKNOWN_COMMAND",
      extensions: { eventType: type.slice(0, 128) },
    });
  }
  let version = definition.latestVersion;
  if (options.version !== undefined) {
    version = Number(options.version);
    if (!Number.isInteger(version) || definition.versions[version - 1] === undefined) {
      throw new HttpProblem({
        status: 400,
        kind: "unsupported-event-version",
        title: "Unsupported version",
        detail: `${type} has versions 1..${definition.latestVersion}; got '${options.version.slice(0, 20)}'`,
        code: "UNSUPPORTED_EVENT_VERSION",
        errors: [{ field: "version", message: `expected 1..${definition.latestVersion}` }],
      });
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(body ?? "");
  } catch (cause) {
    throw problemOfEventError(
      new MalformedEventError(
        { eventType: type, eventVersion: version },
        `the body is not JSON (${(cause as Error).message}); send the command's data as a JSON object`,
      ),
      type,
    );
  }
  const parsed = definition.versions[version - 1]?.schema.safeParse(data);
  if (parsed !== undefined && !parsed.success) {
    throw problemOfEventError(
      new SchemaViolationError(
        { eventType: type, eventVersion: version },
        toSchemaIssues(parsed.error),
      ),
      type,
    );
  }
  // W3C trace context: a malformed traceparent is ignored, not an error.
  const traceparent =
    options.traceparent !== undefined && TraceparentPattern.test(options.traceparent)
      ? options.traceparent
      : undefined;
  return { type, data, version, traceparent };
}

/** The command envelope of a checked request, with a new id, validated by the catalog. */
export function buildCommand(request: CommandRequest, now = new Date()): AnyCommand {
  const definition = findEventDefinition(request.type);
  if (definition === undefined) throw new Error(`no definition of ${request.type}`);
  const eventId = newEventId();
  const data = request.data as Record<string, unknown>;
  const candidate: EventEnvelope = {
    eventId,
    eventType: request.type,
    eventVersion: request.version,
    occurredAt: now.toISOString(),
    source: HTTP_COMMAND_SOURCE,
    aggregateType: definition.aggregateType,
    aggregateId: String(data[definition.aggregateIdField]),
    correlationId: eventId,
    causationId: eventId,
    ...(request.traceparent === undefined ? {} : { traceparent: request.traceparent }),
    data,
  };
  try {
    return decodeEvent(candidate) as AnyCommand;
  } catch (error) {
    if (error instanceof EventError) throw problemOfEventError(error, request.type);
    throw error;
  }
}
