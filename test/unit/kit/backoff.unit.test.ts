import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../../functions/kit/backoff.ts";

const options = { baseDelayMs: 50, maxDelayMs: 2_000 };
const almostOne = 1 - Number.EPSILON;

describe("backoffDelay (exponential, full jitter)", () => {
  it("is 0 when the jitter draws 0", () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      expect(backoffDelay(attempt, options, () => 0)).toBe(0);
    }
  });

  it("stays below base × 2^attempt, reaching just under it for the highest draw", () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const ceiling = 50 * 2 ** attempt;
      expect(backoffDelay(attempt, options, () => almostOne)).toBe(ceiling - 1);
    }
  });

  it("never exceeds the cap, whatever the attempt", () => {
    for (const attempt of [6, 10, 30, 60, 1_000]) {
      const delay = backoffDelay(attempt, options, () => almostOne);
      expect(delay).toBeLessThan(2_000);
      expect(delay).toBe(1_999);
    }
  });

  it("is a whole number of milliseconds within [0, ceiling) for random draws", () => {
    for (let i = 0; i < 2_000; i++) {
      const attempt = i % 8;
      const delay = backoffDelay(attempt, options);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(2_000, 50 * 2 ** attempt));
    }
  });

  it("scales linearly with the draw (full jitter, not equal jitter)", () => {
    expect(backoffDelay(3, options, () => 0.5)).toBe(200);
    expect(backoffDelay(3, options, () => 0.25)).toBe(100);
  });
});
