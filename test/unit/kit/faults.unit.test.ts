import { describe, expect, it } from "vitest";
import { skewedClock } from "../../../functions/kit/clock.ts";
import { InvalidEnvironmentVariableError } from "../../../functions/kit/errors.ts";
import {
  clockSkewSeconds,
  faultSwitch,
  InjectedFaultError,
  putEventsFailShare,
} from "../../../functions/kit/faults.ts";

const event = (n: number) => ({ eventType: "OrderPlaced", eventId: `e${n}` });

describe("fault switches (drills only)", () => {
  it("do nothing when unset", () => {
    const inject = faultSwitch("fn", {});
    for (let n = 0; n < 20; n++) expect(() => inject(event(n))).not.toThrow();
    expect(putEventsFailShare({})).toBe(0);
    expect(clockSkewSeconds({})).toBe(0);
  });

  it("DUPLEX_FAULT_FAIL_ON fails the listed types (or all with *)", () => {
    const inject = faultSwitch("fn", { DUPLEX_FAULT_FAIL_ON: "PaymentProcessed, OrderPlaced" });
    expect(() => inject(event(1))).toThrow(InjectedFaultError);
    expect(() => inject({ eventType: "OrderCancelled", eventId: "x" })).not.toThrow();
    expect(() =>
      faultSwitch("fn", { DUPLEX_FAULT_FAIL_ON: "*" })({ eventType: "Any", eventId: "y" }),
    ).toThrow(/DUPLEX_FAULT_FAIL_ON/);
  });

  it("DUPLEX_FAULT_FAIL_EVERY fails every Nth event of the environment, retryably", () => {
    const inject = faultSwitch("fn", { DUPLEX_FAULT_FAIL_EVERY: "3" });
    const failed: number[] = [];
    for (let n = 1; n <= 9; n++) {
      try {
        inject(event(n));
      } catch (error) {
        expect(error).toBeInstanceOf(InjectedFaultError);
        expect((error as InjectedFaultError).retryable).toBe(true);
        failed.push(n);
      }
    }
    expect(failed).toEqual([3, 6, 9]);
  });

  it("refuse unusable values at cold start, naming the variable", () => {
    for (const env of [
      { DUPLEX_FAULT_FAIL_EVERY: "0" },
      { DUPLEX_FAULT_FAIL_EVERY: "2.5" },
      { DUPLEX_FAULT_FAIL_EVERY: "often" },
    ]) {
      expect(() => faultSwitch("fn", env)).toThrow(InvalidEnvironmentVariableError);
    }
    expect(() => putEventsFailShare({ DUPLEX_FAULT_PUT_EVENTS_FAIL_SHARE: "1.5" })).toThrow(
      /DUPLEX_FAULT_PUT_EVENTS_FAIL_SHARE/,
    );
    expect(() => clockSkewSeconds({ DUPLEX_FAULT_CLOCK_SKEW_SECONDS: "soon" })).toThrow(
      /DUPLEX_FAULT_CLOCK_SKEW_SECONDS/,
    );
    expect(clockSkewSeconds({ DUPLEX_FAULT_CLOCK_SKEW_SECONDS: "-300" })).toBe(-300);
  });

  it("a skewed clock runs off the machine's by the skew", () => {
    const behind = skewedClock(-300_000);
    const drift = Date.now() - behind.nowMs();
    expect(drift).toBeGreaterThanOrEqual(300_000);
    expect(drift).toBeLessThan(300_000 + 1_000);
    expect(Math.abs(behind.now().getTime() - behind.nowMs())).toBeLessThan(1_000);
  });
});
