import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromEventBridgeEvent } from "../../../events/codecs/eventbridge.ts";
import { fromKafkaRecord, toKafkaRecord } from "../../../events/codecs/kafka.ts";
import type { MskEventRecord } from "../../../events/codecs/lambda.ts";
import { fromMskRecord, fromSqsMessageBody } from "../../../events/codecs/lambda.ts";
import { EventError } from "../../../events/errors.ts";
import { decodeEvent } from "../../../events/registry.ts";
import { eventBridgeEventFor } from "../../support/records.ts";
import { oneOfEachType } from "../../support/samples.ts";

/** Calls a decoder; anything thrown that is not one of the catalog's typed errors fails. */
function onlyTypedErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof EventError)) throw error;
  }
}

const samples = oneOfEachType();
const sampleArb = fc.constantFrom(...samples);

/** Mutates a valid JSON value: drop, replace or add keys anywhere. */
const mutatedJson = (value: unknown): fc.Arbitrary<unknown> =>
  fc
    .tuple(fc.array(fc.string(), { maxLength: 3 }), fc.jsonValue(), fc.boolean())
    .map(([path, replacement, remove]) => {
      const copy = JSON.parse(JSON.stringify(value)) as unknown;
      let node = copy as Record<string, unknown>;
      for (const [i, segment] of path.entries()) {
        const keys = typeof node === "object" && node !== null ? Object.keys(node) : [];
        // An empty array gets an index: a generated key could be "length", which cannot be
        // deleted or set to any JSON value.
        const key =
          keys.length > 0
            ? (keys[segment.length % keys.length] as string)
            : Array.isArray(node)
              ? "0"
              : segment;
        if (i === path.length - 1 || typeof node[key] !== "object" || node[key] === null) {
          if (remove) delete node[key];
          else node[key] = replacement;
          return copy;
        }
        node = node[key] as Record<string, unknown>;
      }
      return replacement;
    });

describe("decoders throw nothing but typed errors (fast-check)", () => {
  it("decodeEvent on any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => onlyTypedErrors(() => decodeEvent(v))),
      {
        numRuns: Number(process.env.FC_RUNS ?? 2000),
      },
    );
  });

  it("decodeEvent on mutations of valid events", () => {
    fc.assert(
      fc.property(
        sampleArb.chain((e) => mutatedJson(e)),
        (v) => onlyTypedErrors(() => decodeEvent(v)),
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 3000) },
    );
  });

  it("SQS bodies: any string, and mutated EventBridge events", () => {
    fc.assert(
      fc.property(fc.string(), (s) => onlyTypedErrors(() => fromSqsMessageBody(s))),
      {
        numRuns: Number(process.env.FC_RUNS ?? 1000),
      },
    );
    fc.assert(
      fc.property(
        sampleArb.chain((e) => mutatedJson(eventBridgeEventFor(e))),
        (v) => onlyTypedErrors(() => fromEventBridgeEvent(v)),
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 3000) },
    );
  });

  it("Kafka records with arbitrary keys, values and headers", () => {
    const bytes = fc.oneof(
      fc.constant(null),
      fc.string(),
      fc.uint8Array().map((a) => Buffer.from(a)),
    );
    fc.assert(
      fc.property(
        sampleArb,
        bytes,
        fc.dictionary(
          fc.constantFrom("ce_id", "ce_type", "ce_eventversion", "ce_time", "ce_subject", "x"),
          bytes,
        ),
        (event, value, headerOverrides) => {
          const record = toKafkaRecord(event);
          onlyTypedErrors(() =>
            fromKafkaRecord({
              key: record.key,
              value,
              headers: { ...record.headers, ...headerOverrides },
            }),
          );
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 3000) },
    );
  });

  it("MSK records of any shape", () => {
    fc.assert(
      fc.property(fc.anything(), (v) => onlyTypedErrors(() => fromMskRecord(v as MskEventRecord))),
      { numRuns: Number(process.env.FC_RUNS ?? 2000) },
    );
  });

  it("decoding a valid event never fails (sanity: the properties above can fail)", () => {
    for (const event of samples) {
      expect(() => fromEventBridgeEvent(eventBridgeEventFor(event))).not.toThrow();
    }
  });
});
