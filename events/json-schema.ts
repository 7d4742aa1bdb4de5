import { z } from "zod";
import type { EventDefinition } from "./define.ts";
import { envelopeFieldSchemas } from "./envelope.ts";

/**
 * JSON Schema for every type and version, for consumers in other languages and for an EventBridge
 * schema registry. Files are committed under `events/schemas/` and `npm run catalog:check` fails
 * when they are stale.
 *
 * They describe what `decodeEvent` accepts, i.e. the zod schemas' **input**: a field with a
 * default may be left out (it is not `required`), and properties the schema does not name are
 * allowed, in the envelope and in `data` (the decoder ignores and drops them: a producer one
 * version ahead may add an optional field, which FORWARD compatibility promises old readers
 * accept). The `aws.` prefix rule of `source` is a `pattern`. The `x-duplex` keyword carries the
 * catalog's metadata; strict validators must be told it exists (ajv:
 * `ajv.addKeyword({ keyword: "x-duplex" })`, with `ajv-formats` for `uuid` and `date-time`).
 */

const SCHEMA_BASE = "https://duplex.dev/schemas";

function envelopeWith(
  definition: EventDefinition,
  version: number,
  data: z.ZodType,
  target: "draft-2020-12" | "draft-4",
) {
  const envelope = z.object({
    ...envelopeFieldSchemas,
    eventType: z.literal(definition.type),
    eventVersion: z.literal(version),
    aggregateType: z.literal(definition.aggregateType),
    data,
  });
  return z.toJSONSchema(envelope, { target, io: "input", unrepresentable: "any" });
}

/** A file to write: path relative to `events/schemas/`, and its JSON. */
export interface SchemaFile {
  readonly path: string;
  readonly json: unknown;
}

/**
 * Every schema file the catalog exports:
 * - `<Type>/v<N>.json`: the envelope with that version's data (JSON Schema 2020-12);
 * - `eventbridge/<Type>.json`: for critical commands, the EventBridge event that carries the
 *   latest version (JSON Schema draft-04, the dialect EventBridge schema registries accept).
 */
export function catalogSchemaFiles(definitions: readonly EventDefinition[]): SchemaFile[] {
  const files: SchemaFile[] = [];
  for (const definition of definitions) {
    for (const { version, schema } of definition.versions) {
      files.push({
        path: `${definition.type}/v${version}.json`,
        json: {
          ...envelopeWith(definition, version, schema, "draft-2020-12"),
          $id: `${SCHEMA_BASE}/${definition.type}/v${version}.json`,
          title: `${definition.type} v${version}`,
          description: definition.description,
          "x-duplex": {
            domain: definition.domain,
            aggregateType: definition.aggregateType,
            topic: definition.topic,
            partitionKey: definition.partitionKey,
            lanes: definition.lanes,
            compatibility: definition.compatibility,
            latestVersion: definition.latestVersion,
          },
        },
      });
    }
    if (definition.critical) {
      const detail = z.toJSONSchema(
        z.object({
          eventId: envelopeFieldSchemas.eventId,
          eventVersion: z.literal(definition.latestVersion),
          occurredAt: envelopeFieldSchemas.occurredAt,
          aggregateType: z.literal(definition.aggregateType),
          aggregateId: envelopeFieldSchemas.aggregateId,
          correlationId: envelopeFieldSchemas.correlationId,
          causationId: envelopeFieldSchemas.causationId,
          traceparent: envelopeFieldSchemas.traceparent,
          sequence: envelopeFieldSchemas.sequence,
          data: definition.latestSchema,
        }),
        { target: "draft-4", io: "input", unrepresentable: "any" },
      );
      files.push({
        path: `eventbridge/${definition.type}.json`,
        json: {
          $schema: "http://json-schema.org/draft-04/schema#",
          title: `${definition.type} on EventBridge`,
          description: definition.description,
          type: "object",
          required: ["detail-type", "source", "detail"],
          properties: {
            "detail-type": { type: "string", enum: [definition.type] },
            source: { type: "string" },
            time: { type: "string", format: "date-time" },
            "replay-name": { type: "string" },
            detail: { ...(detail as Record<string, unknown>), $schema: undefined },
          },
        },
      });
    }
  }
  return files;
}

/** Stable text of a schema file (2-space JSON, trailing newline). */
export function renderSchemaFile(file: SchemaFile): string {
  return `${JSON.stringify(file.json, null, 2)}\n`;
}
