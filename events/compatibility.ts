import { z } from "zod";
import type { CompatibilityMode, EventDefinition } from "./define.ts";

/**
 * Schema compatibility between consecutive versions of an event type, on the JSON Schema that
 * zod emits. "Writer" is the schema data was written with (its *output* form: defaults filled in);
 * "reader" is the schema that parses it (its *input* form: defaults may be absent, unknown fields
 * are stripped). A change is compatible when every value the writer can produce, the reader accepts.
 *
 * - BACKWARD: readers of version N read data of version N-1 (writer N-1, reader N).
 * - FORWARD: readers of version N-1 read data of version N (writer N, reader N-1).
 * - FULL: both.
 *
 * The check is conservative: it may call a change breaking that is harmless for some values, never
 * the reverse, for the JSON Schema keywords zod emits (types, enums/const, required, properties,
 * additionalProperties, items, string/number/array bounds, pattern, format, anyOf/oneOf).
 */

/** One incompatibility, naming the field. */
export interface CompatibilityIssue {
  readonly eventType: string;
  readonly mode: "BACKWARD" | "FORWARD";
  readonly fromVersion: number;
  readonly toVersion: number;
  /** Path of the field, e.g. `data.items[].currency`. */
  readonly path: string;
  readonly message: string;
}

type Schema = Record<string, unknown>;

function asSchema(value: unknown): Schema {
  return typeof value === "object" && value !== null ? (value as Schema) : {};
}

function typesOf(schema: Schema): Set<string> | undefined {
  if (schema.const !== undefined) return new Set([jsonType(schema.const)]);
  if (Array.isArray(schema.enum)) return new Set(schema.enum.map(jsonType));
  const type = schema.type;
  if (typeof type === "string") return new Set([type]);
  if (Array.isArray(type)) return new Set(type as string[]);
  return undefined;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeAccepted(type: string, accepted: Set<string>): boolean {
  return accepted.has(type) || (type === "integer" && accepted.has("number"));
}

function enumValues(schema: Schema): unknown[] | undefined {
  if (schema.const !== undefined) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : undefined;
}

function lowerBound(schema: Schema): { value: number; exclusive: boolean } | undefined {
  if (typeof schema.exclusiveMinimum === "number") {
    return { value: schema.exclusiveMinimum, exclusive: true };
  }
  if (typeof schema.minimum === "number") return { value: schema.minimum, exclusive: false };
  return undefined;
}

function upperBound(schema: Schema): { value: number; exclusive: boolean } | undefined {
  if (typeof schema.exclusiveMaximum === "number") {
    return { value: schema.exclusiveMaximum, exclusive: true };
  }
  if (typeof schema.maximum === "number") return { value: schema.maximum, exclusive: false };
  return undefined;
}

const describeBound = (b: { value: number; exclusive: boolean } | undefined, op: string) =>
  b === undefined ? "none" : `${op}${b.exclusive ? "" : "="} ${b.value}`;

/**
 * Issues where a value valid under `writer` could be refused by `reader`; paths start at `path`.
 *
 * @example
 * ```ts
 * const issues = findIncompatibilities(toJSON(v1, "output"), toJSON(v2, "input"), "data");
 * // [{ path: "data.currency", message: "required by the reader, but the writer may omit it" }]
 * ```
 */
export function findIncompatibilities(
  writerSchema: unknown,
  readerSchema: unknown,
  path: string,
): { path: string; message: string }[] {
  const writer = asSchema(writerSchema);
  const reader = asSchema(readerSchema);
  const issues: { path: string; message: string }[] = [];
  const issue = (at: string, message: string) => issues.push({ path: at, message });

  const writerBranches = (writer.anyOf ?? writer.oneOf) as unknown[] | undefined;
  if (Array.isArray(writerBranches)) {
    for (const branch of writerBranches)
      issues.push(...findIncompatibilities(branch, reader, path));
    return issues;
  }
  const readerBranches = (reader.anyOf ?? reader.oneOf) as unknown[] | undefined;
  if (Array.isArray(readerBranches)) {
    const fits = readerBranches.some(
      (branch) => findIncompatibilities(writer, branch, path).length === 0,
    );
    if (!fits) issue(path, "no alternative of the reader accepts what the writer produces");
    return issues;
  }

  const writerTypes = typesOf(writer);
  const readerTypes = typesOf(reader);
  if (readerTypes !== undefined) {
    if (writerTypes === undefined) {
      issue(path, `the reader now requires type ${[...readerTypes].join("|")}`);
      return issues;
    }
    const refused = [...writerTypes].filter((t) => !typeAccepted(t, readerTypes));
    if (refused.length > 0) {
      issue(
        path,
        `type changed: the writer produces ${[...writerTypes].join("|")}, the reader accepts ${[...readerTypes].join("|")}`,
      );
      return issues;
    }
  }

  const readerEnum = enumValues(reader);
  if (readerEnum !== undefined) {
    const writerEnum = enumValues(writer);
    if (writerEnum === undefined) {
      issue(path, `the reader now only accepts ${JSON.stringify(readerEnum)}`);
    } else {
      const missing = writerEnum.filter(
        (v) => !readerEnum.some((r) => JSON.stringify(r) === JSON.stringify(v)),
      );
      if (missing.length > 0) {
        issue(path, `value(s) ${JSON.stringify(missing)} written but not accepted by the reader`);
      }
    }
  }

  // Strings
  if (typeof reader.minLength === "number" && reader.minLength > Number(writer.minLength ?? 0)) {
    issue(path, `minLength raised from ${String(writer.minLength ?? 0)} to ${reader.minLength}`);
  }
  if (
    typeof reader.maxLength === "number" &&
    reader.maxLength < Number(writer.maxLength ?? Number.POSITIVE_INFINITY)
  ) {
    issue(
      path,
      `maxLength lowered from ${String(writer.maxLength ?? "none")} to ${reader.maxLength}`,
    );
  }
  if (typeof reader.pattern === "string" && reader.pattern !== writer.pattern) {
    issue(path, `pattern changed to ${reader.pattern}`);
  }
  if (typeof reader.format === "string" && reader.format !== writer.format) {
    issue(path, `format changed to ${reader.format}`);
  }

  // Numbers
  const rLow = lowerBound(reader);
  const wLow = lowerBound(writer);
  if (
    rLow !== undefined &&
    (wLow === undefined ||
      wLow.value < rLow.value ||
      (wLow.value === rLow.value && rLow.exclusive && !wLow.exclusive))
  ) {
    issue(
      path,
      `lower bound tightened from ${describeBound(wLow, ">")} to ${describeBound(rLow, ">")}`,
    );
  }
  const rHigh = upperBound(reader);
  const wHigh = upperBound(writer);
  if (
    rHigh !== undefined &&
    (wHigh === undefined ||
      wHigh.value > rHigh.value ||
      (wHigh.value === rHigh.value && rHigh.exclusive && !wHigh.exclusive))
  ) {
    issue(
      path,
      `upper bound tightened from ${describeBound(wHigh, "<")} to ${describeBound(rHigh, "<")}`,
    );
  }

  // Objects
  const readerProps = asSchema(reader.properties);
  const writerProps = asSchema(writer.properties);
  const readerRequired = new Set((reader.required as string[] | undefined) ?? []);
  const writerRequired = new Set((writer.required as string[] | undefined) ?? []);
  for (const field of readerRequired) {
    if (!writerRequired.has(field)) {
      issue(
        `${path}.${field}`,
        field in writerProps
          ? "required by the reader, but optional for the writer"
          : "required by the reader, but the writer does not have it (add a default or make it optional)",
      );
    }
  }
  for (const [field, writerField] of Object.entries(writerProps)) {
    const readerField = readerProps[field];
    if (readerField === undefined) {
      if (reader.additionalProperties === false) {
        issue(`${path}.${field}`, "written but the reader refuses unknown fields");
      }
      continue;
    }
    issues.push(...findIncompatibilities(writerField, readerField, `${path}.${field}`));
  }

  // Arrays
  if (reader.items !== undefined && writer.items !== undefined) {
    issues.push(...findIncompatibilities(writer.items, reader.items, `${path}[]`));
  }
  if (typeof reader.minItems === "number" && reader.minItems > Number(writer.minItems ?? 0)) {
    issue(path, `minItems raised from ${String(writer.minItems ?? 0)} to ${reader.minItems}`);
  }
  if (
    typeof reader.maxItems === "number" &&
    reader.maxItems < Number(writer.maxItems ?? Number.POSITIVE_INFINITY)
  ) {
    issue(path, `maxItems lowered from ${String(writer.maxItems ?? "none")} to ${reader.maxItems}`);
  }
  return issues;
}

function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" });
}

/**
 * Compares two consecutive versions under a mode.
 *
 * @example
 * ```ts
 * checkVersions("OrderPlaced", 1, v1Schema, v2Schema, "BACKWARD"); // [] when v2 only adds defaults
 * ```
 */
export function checkVersions(
  eventType: string,
  fromVersion: number,
  previous: z.ZodType,
  next: z.ZodType,
  mode: CompatibilityMode,
): CompatibilityIssue[] {
  const issues: CompatibilityIssue[] = [];
  const toVersion = fromVersion + 1;
  if (mode === "BACKWARD" || mode === "FULL") {
    for (const i of findIncompatibilities(
      jsonSchemaOf(previous, "output"),
      jsonSchemaOf(next, "input"),
      "data",
    )) {
      issues.push({ eventType, mode: "BACKWARD", fromVersion, toVersion, ...i });
    }
  }
  if (mode === "FORWARD" || mode === "FULL") {
    for (const i of findIncompatibilities(
      jsonSchemaOf(next, "output"),
      jsonSchemaOf(previous, "input"),
      "data",
    )) {
      issues.push({ eventType, mode: "FORWARD", fromVersion, toVersion, ...i });
    }
  }
  return issues;
}

/** Checks every pair of consecutive versions of every definition against its mode. */
export function checkCatalogCompatibility(
  definitions: readonly EventDefinition[],
): CompatibilityIssue[] {
  const issues: CompatibilityIssue[] = [];
  for (const definition of definitions) {
    for (let i = 1; i < definition.versions.length; i++) {
      const previous = definition.versions[i - 1];
      const next = definition.versions[i];
      if (previous === undefined || next === undefined) continue;
      issues.push(
        ...checkVersions(
          definition.type,
          previous.version,
          previous.schema,
          next.schema,
          definition.compatibility,
        ),
      );
    }
  }
  return issues;
}

/** One line per issue, for the console and CI logs. */
export function formatCompatibilityIssue(issue: CompatibilityIssue): string {
  return `${issue.eventType} v${issue.fromVersion} → v${issue.toVersion} breaks ${issue.mode}: ${issue.path}: ${issue.message}`;
}
