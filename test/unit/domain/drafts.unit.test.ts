import { describe, expect, it } from "vitest";
import { draft, MAX_REASON_LENGTH, reasonText } from "../../../functions/domain/drafts.ts";
import { distinctIds, mergeLines, quantityOf } from "../../../functions/domain/lines.ts";
import { lookup } from "../../../functions/domain/lookup.ts";

describe("domain helpers", () => {
  it("draft pairs a type with its data", () => {
    expect(draft("RefundPaymentRequested", { orderId: "o-1", reason: "r" })).toEqual({
      eventType: "RefundPaymentRequested",
      data: { orderId: "o-1", reason: "r" },
    });
  });

  it("reasonText keeps reasons within the catalog's bounds", () => {
    expect(reasonText("  short  ")).toBe("short");
    expect(reasonText("")).toBe("unspecified");
    const long = reasonText("x".repeat(2_000));
    expect(long).toHaveLength(MAX_REASON_LENGTH);
    expect(long.endsWith("…")).toBe(true);
  });

  it("mergeLines sums per product in first-seen order", () => {
    expect(
      mergeLines([
        { productId: "b", quantity: 1 },
        { productId: "a", quantity: 2 },
        { productId: "b", quantity: 3 },
      ]),
    ).toEqual([
      { productId: "b", quantity: 4 },
      { productId: "a", quantity: 2 },
    ]);
    expect(quantityOf([{ productId: "a", quantity: 2 }], "b")).toBe(0);
    expect(distinctIds(["a", "b", "a"])).toEqual(["a", "b"]);
  });

  it("lookup only sees own keys", () => {
    const record: Record<string, number> = { a: 1 };
    expect(lookup(record, "a")).toBe(1);
    expect(lookup(record, "constructor")).toBeUndefined();
    expect(lookup(record, "__proto__")).toBeUndefined();
  });
});
