import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { internedText } from "../../../events/codecs/interned-text.ts";

describe("internedText (header strings found again by their bytes)", () => {
  it("gives the same text as a UTF-8 decode, for any string at any offset", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.string(),
        fc.string(),
        (text, before, after) => {
          const bytes = Buffer.from(`${before}${text}${after}`, "utf8");
          const start = Buffer.byteLength(before);
          const end = start + Buffer.byteLength(text);
          expect(internedText(bytes, start, end)).toBe(text);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("tells apart byte strings of the same length (a remembered one is checked byte by byte)", () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 10_000; i++) {
      const text = `ce_${i.toString(36).padStart(4, "0")}`;
      seen.set(text, internedText(Buffer.from(text)));
    }
    for (const [text, decoded] of seen) expect(internedText(Buffer.from(text))).toBe(decoded);
  });

  it("decodes non-ASCII and long values as UTF-8", () => {
    expect(internedText(Buffer.from("café-crème"))).toBe("café-crème");
    const long = "x".repeat(200);
    expect(internedText(Buffer.from(long))).toBe(long);
  });
});
