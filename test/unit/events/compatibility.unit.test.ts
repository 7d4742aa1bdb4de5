import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkCatalogCompatibility, checkVersions } from "../../../events/compatibility.ts";
import { allEventDefinitions } from "../../../events/registry.ts";

const base = z.object({
  orderId: z.string(),
  quantity: z.number().int().min(1),
  status: z.enum(["open", "closed"]),
  note: z.string().optional(),
  items: z.array(z.object({ sku: z.string() })),
});

const paths = (issues: { path: string; mode: string }[]) =>
  issues.map((i) => `${i.mode} ${i.path}`);

describe("compatibility check", () => {
  it("the catalog as committed has no breaking change", () => {
    expect(checkCatalogCompatibility(allEventDefinitions())).toEqual([]);
  });

  describe("non-breaking changes", () => {
    it.each([
      [
        "adding a field with a default",
        base.extend({ currency: z.string().default("EUR") }),
        "FULL",
      ],
      ["adding an optional field", base.extend({ channel: z.string().optional() }), "FULL"],
      ["widening a number bound", base.extend({ quantity: z.number().int().min(0) }), "BACKWARD"],
      [
        "adding an enum value",
        base.extend({ status: z.enum(["open", "closed", "held"]) }),
        "BACKWARD",
      ],
      ["removing an optional field", base.omit({ note: true }), "FULL"],
    ] as const)("%s passes %s", (_, next, mode) => {
      expect(checkVersions("T", 1, base, next, mode)).toEqual([]);
    });
  });

  describe("breaking changes name the field", () => {
    it("a new required field breaks BACKWARD", () => {
      const issues = checkVersions("T", 1, base, base.extend({ currency: z.string() }), "BACKWARD");
      expect(paths(issues)).toEqual(["BACKWARD data.currency"]);
      expect(issues[0]?.message).toMatch(/required by the reader, but the writer does not have it/);
    });

    it("removing a required field breaks FORWARD (old readers still need it)", () => {
      const issues = checkVersions("T", 1, base, base.omit({ orderId: true }), "FORWARD");
      expect(paths(issues)).toEqual(["FORWARD data.orderId"]);
    });

    it("removing a required field is fine for BACKWARD", () => {
      expect(checkVersions("T", 1, base, base.omit({ orderId: true }), "BACKWARD")).toEqual([]);
    });

    it("a type change breaks both directions under FULL", () => {
      const issues = checkVersions("T", 1, base, base.extend({ orderId: z.number() }), "FULL");
      expect(paths(issues)).toEqual(["BACKWARD data.orderId", "FORWARD data.orderId"]);
    });

    it("an added enum value breaks FORWARD", () => {
      const next = base.extend({ status: z.enum(["open", "closed", "held"]) });
      const issues = checkVersions("T", 1, base, next, "FORWARD");
      expect(paths(issues)).toEqual(["FORWARD data.status"]);
      expect(issues[0]?.message).toContain('["held"]');
    });

    it("a tightened bound breaks BACKWARD", () => {
      const next = base.extend({ quantity: z.number().int().min(5) });
      expect(paths(checkVersions("T", 1, base, next, "BACKWARD"))).toEqual([
        "BACKWARD data.quantity",
      ]);
    });

    it("a change deep inside an array of objects is located", () => {
      const next = base.extend({ items: z.array(z.object({ sku: z.string(), qty: z.number() })) });
      expect(paths(checkVersions("T", 1, base, next, "BACKWARD"))).toEqual([
        "BACKWARD data.items[].qty",
      ]);
    });

    it("making an optional field required breaks BACKWARD", () => {
      const next = base.extend({ note: z.string() });
      const issues = checkVersions("T", 1, base, next, "BACKWARD");
      expect(paths(issues)).toEqual(["BACKWARD data.note"]);
      expect(issues[0]?.message).toContain("optional for the writer");
    });

    it("NONE checks nothing", () => {
      expect(checkVersions("T", 1, base, z.object({ x: z.number() }), "NONE")).toEqual([]);
    });
  });
});
