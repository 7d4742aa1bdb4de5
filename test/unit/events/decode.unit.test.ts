import { describe, expect, it } from "vitest";
import { createEvent } from "../../../events/create.ts";
import {
  InvalidEnvelopeFieldError,
  MissingEnvelopeFieldError,
  SchemaViolationError,
  UnknownEventTypeError,
  UnsupportedEventVersionError,
} from "../../../events/errors.ts";
import { decodeEvent } from "../../../events/registry.ts";
import { sampleData, sampleEvent } from "../../support/samples.ts";

const asPlain = (event: object) => JSON.parse(JSON.stringify(event)) as Record<string, unknown>;

describe("decodeEvent", () => {
  it("accepts a valid envelope and returns it unchanged", () => {
    const event = sampleEvent("PlaceOrderRequested");
    expect(decodeEvent(asPlain(event))).toEqual(asPlain(event));
  });

  it("names the first missing envelope field", () => {
    const plain = asPlain(sampleEvent("OrderCancelled"));
    delete plain.correlationId;
    const error = catchError(() => decodeEvent(plain));
    expect(error).toBeInstanceOf(MissingEnvelopeFieldError);
    expect((error as MissingEnvelopeFieldError).field).toBe("correlationId");
    expect(error.message).toContain(`OrderCancelled v1, event ${String(plain.eventId)}`);
  });

  it("rejects an envelope field of the wrong form, naming it and what was expected", () => {
    const plain = { ...asPlain(sampleEvent("OrderCancelled")), occurredAt: "yesterday" };
    const error = catchError(() => decodeEvent(plain));
    expect(error).toBeInstanceOf(InvalidEnvelopeFieldError);
    expect(error.message).toMatch(/envelope field 'occurredAt': expected an ISO-8601 timestamp/);
  });

  it("rejects a bad value of a repeating attribute after good ones were remembered", () => {
    // Type, version, source and aggregate type are checked once per value and remembered.
    const good = asPlain(sampleEvent("OrderCancelled"));
    decodeEvent(good);
    decodeEvent(good);
    const error = catchError(() => decodeEvent({ ...good, source: "aws.orders" }));
    expect(error).toBeInstanceOf(InvalidEnvelopeFieldError);
    expect(error.message).toMatch(/envelope field 'source'/);
    expect(catchError(() => decodeEvent({ ...good, eventVersion: 0 }))).toBeInstanceOf(
      InvalidEnvelopeFieldError,
    );
    expect(decodeEvent(good)).toEqual(good);
  });

  it("rejects an unknown event type", () => {
    const plain = { ...asPlain(sampleEvent("OrderCancelled")), eventType: "OrderTeleported" };
    const error = catchError(() => decodeEvent(plain));
    expect(error).toBeInstanceOf(UnknownEventTypeError);
    expect(error.message).toContain("unknown event type 'OrderTeleported'");
  });

  it("rejects a version newer than the reader knows, saying so", () => {
    const plain = { ...asPlain(sampleEvent("OrderPlaced")), eventVersion: 3 };
    const error = catchError(() => decodeEvent(plain));
    expect(error).toBeInstanceOf(UnsupportedEventVersionError);
    expect(error.message).toContain("unsupported eventVersion 3: this reader knows versions 1..2");
    expect(error.message).toContain("newer producer");
  });

  it("reports every schema violation with its path from the envelope root", () => {
    const plain = asPlain(sampleEvent("OrderPlaced"));
    const data = plain.data as Record<string, unknown>;
    (data.items as Record<string, unknown>[])[1] = { productId: "p-2", quantity: 0 };
    data.currency = "euro";
    const error = catchError(() => decodeEvent(plain));
    expect(error).toBeInstanceOf(SchemaViolationError);
    const paths = (error as SchemaViolationError).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "data.items[1].quantity",
        "data.items[1].unitPriceCents",
        "data.currency",
      ]),
    );
  });

  it("refuses an aggregate id that disagrees with the data", () => {
    const plain = { ...asPlain(sampleEvent("OrderCancelled")), aggregateId: "o-other" };
    const error = catchError(() => decodeEvent(plain));
    expect(error).toBeInstanceOf(InvalidEnvelopeFieldError);
    expect(error.message).toContain("to equal data.orderId ('o-1'), got 'o-other'");
  });

  it("is never fooled by a wrong aggregate type", () => {
    const plain = { ...asPlain(sampleEvent("OrderCancelled")), aggregateType: "Payment" };
    expect(() => decodeEvent(plain)).toThrow(/'Order' for OrderCancelled, got 'Payment'/);
  });
});

describe("upcasting", () => {
  it("Given OrderPlaced written as v1, readers get v2 with the default currency", () => {
    const v2 = createEvent("OrderPlaced", sampleData.OrderPlaced);
    const { currency: _dropped, ...v1Data } = v2.data;
    const v1 = { ...asPlain(v2), eventVersion: 1, data: v1Data };
    const read = decodeEvent(v1);
    expect(read.eventVersion).toBe(2);
    expect(read.data).toEqual({ ...v1Data, currency: "EUR" });
  });

  it("validates v1 data against the v1 schema before upcasting", () => {
    const v2 = asPlain(sampleEvent("OrderPlaced"));
    const v1 = { ...v2, eventVersion: 1, data: { ...(v2.data as object), totalCents: -5 } };
    expect(() => decodeEvent(v1)).toThrow(/OrderPlaced v1.*data\.totalCents/);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}
