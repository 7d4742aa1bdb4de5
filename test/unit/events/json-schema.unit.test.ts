import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import AjvDraft4 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { toEventBridgeEntry } from "../../../events/codecs/eventbridge.ts";
import { allEventDefinitions, decodeEvent } from "../../../events/registry.ts";
import type { EventTypeName } from "../../../events/types.ts";
import { sampleEvent } from "../../support/samples.ts";

/**
 * The exported JSON Schemas (`events/schemas/`) and `decodeEvent` agree: the same fixtures, valid
 * and invalid, run through both, with ajv in its default strict mode (the `x-duplex` keyword
 * registered, `ajv-formats` for `uuid` and `date-time`), as an outside consumer would validate.
 */

const schemaDir = fileURLToPath(new URL("../../../events/schemas", import.meta.url));
const read = (path: string) => JSON.parse(readFileSync(join(schemaDir, path), "utf8")) as object;

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
ajv.addKeyword({ keyword: "x-duplex", schemaType: "object" });

const ajv4 = new AjvDraft4.default({ strict: true, allErrors: true });
addFormats.default(ajv4 as never);

const validators = new Map<string, ValidateFunction>();
function envelopeSchema(type: string, version: number): ValidateFunction {
  const key = `${type}/v${version}.json`;
  let validate = validators.get(key);
  if (validate === undefined) {
    validate = ajv.compile(read(key));
    validators.set(key, validate);
  }
  return validate;
}

type Candidate = Record<string, unknown> & { data: Record<string, unknown> };

/** A valid envelope of a type, as plain JSON (what a consumer in another language receives). */
function valid(type: EventTypeName): Candidate {
  return JSON.parse(JSON.stringify(sampleEvent(type))) as Candidate;
}

/** Fixtures: a mutation of a valid event, and whether both must accept it. */
const fixtures: readonly {
  readonly name: string;
  readonly accept: boolean;
  readonly mutate: (event: Candidate) => Candidate;
}[] = [
  { name: "the event as is", accept: true, mutate: (e) => e },
  {
    name: "an unknown data property (dropped by the decoder)",
    accept: true,
    mutate: (e) => ({ ...e, data: { ...e.data, addedByANewerProducer: "x" } }),
  },
  {
    name: "an unknown envelope attribute (ignored by the decoder)",
    accept: true,
    mutate: (e) => ({ ...e, partitionHint: 3 }),
  },
  { name: "a sequence", accept: true, mutate: (e) => ({ ...e, sequence: 12 }) },
  {
    name: "no eventId",
    accept: false,
    mutate: ({ eventId: _, ...rest }) => rest as Candidate,
  },
  { name: "eventId not a UUID", accept: false, mutate: (e) => ({ ...e, eventId: "nope" }) },
  {
    name: "a source in the aws. namespace",
    accept: false,
    mutate: (e) => ({ ...e, source: "aws.events" }),
  },
  { name: "an empty source", accept: false, mutate: (e) => ({ ...e, source: "" }) },
  { name: "sequence 0", accept: false, mutate: (e) => ({ ...e, sequence: 0 }) },
  {
    name: "a sequence over 15 digits",
    accept: false,
    mutate: (e) => ({ ...e, sequence: 1_000_000_000_000_000 }),
  },
  {
    name: "occurredAt without an offset",
    accept: false,
    mutate: (e) => ({ ...e, occurredAt: "2026-11-23 10:00" }),
  },
  { name: "data not an object", accept: false, mutate: (e) => ({ ...e, data: [] as never }) },
];

const latest = allEventDefinitions();

describe("exported JSON Schemas agree with decodeEvent (ajv, strict mode)", () => {
  for (const definition of latest) {
    const type = definition.type as EventTypeName;
    it(`${type}: every fixture is accepted or refused by both`, () => {
      const validate = envelopeSchema(type, definition.latestVersion);
      const disagreements: string[] = [];
      for (const fixture of fixtures) {
        const candidate = fixture.mutate(valid(type));
        const bySchema = validate(candidate);
        let byDecoder = true;
        try {
          decodeEvent(candidate);
        } catch {
          byDecoder = false;
        }
        if (bySchema !== fixture.accept || byDecoder !== fixture.accept) {
          disagreements.push(
            `${fixture.name}: schema ${bySchema}, decoder ${byDecoder}, expected ${fixture.accept} ${JSON.stringify(validate.errors?.slice(0, 2))}`,
          );
        }
      }
      expect(disagreements).toEqual([]);
    });
  }

  it("a field with a default is not required: both accept it left out", () => {
    const event = valid("OrderPlaced");
    delete event.data.currency;
    expect(envelopeSchema("OrderPlaced", 2)(event)).toBe(true);
    expect(decodeEvent(event).data).toMatchObject({ currency: "EUR" });
    const reserve = valid("ReserveInventoryRequested");
    delete reserve.data.holdSeconds;
    expect(envelopeSchema("ReserveInventoryRequested", 1)(reserve)).toBe(true);
    expect(decodeEvent(reserve).data).toMatchObject({ holdSeconds: 600 });
  });

  it("a required data field left out is refused by both", () => {
    const event = valid("OrderPlaced");
    delete event.data.totalCents;
    expect(envelopeSchema("OrderPlaced", 2)(event)).toBe(false);
    expect(() => decodeEvent(event)).toThrow(/data\.totalCents/);
  });

  it("older versions validate their own data (OrderPlaced v1 without currency)", () => {
    const { currency: _, ...v1Data } = valid("OrderPlaced").data;
    const v1 = { ...valid("OrderPlaced"), eventVersion: 1, data: v1Data };
    expect(envelopeSchema("OrderPlaced", 1)(v1)).toBe(true);
    expect(decodeEvent(v1).eventVersion).toBe(2);
  });

  it("EventBridge schemas (draft-04) accept the events the codec writes, sequence included", () => {
    for (const definition of latest.filter((d) => d.critical)) {
      const validate = ajv4.compile(read(`eventbridge/${definition.type}.json`));
      const event = { ...sampleEvent(definition.type as EventTypeName), sequence: 3 };
      const entry = toEventBridgeEntry(event, "bus");
      const delivered = {
        "detail-type": entry.DetailType,
        source: entry.Source,
        time: new Date().toISOString(),
        detail: JSON.parse(entry.Detail) as unknown,
      };
      expect(validate(delivered), JSON.stringify(validate.errors)).toBe(true);
      const aws = { ...delivered, detail: { ...(delivered.detail as object), sequence: 0 } };
      expect(validate(aws)).toBe(false);
    }
  });
});
