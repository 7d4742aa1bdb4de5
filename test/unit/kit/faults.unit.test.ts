import { describe, expect, it } from "vitest";
import { skewedClock } from "../../../functions/kit/clock.ts";
import { InvalidEnvironmentVariableError } from "../../../functions/kit/errors.ts";
import {
  clockSkewSeconds,
  DEFAULT_FAULT_DELAY_MS,
  faultSwitch,
  InjectedFaultError,
  putEventsFailShare,
} from "../../../functions/kit/faults.ts";

const event = (n: number) => ({ eventType: "OrderPlaced", eventId: `e${n}` });

describe("fault switches (drills only)", () => {
  it("do nothing when unset", async () => {
    const inject = faultSwitch("fn", {});
    for (let n = 0; n < 20; n++) await expect(inject(event(n))).resolves.toBeUndefined();
    expect(putEventsFailShare({})).toBe(0);
    expect(clockSkewSeconds({})).toBe(0);
  });

  it("DUPLEX_FAULT_FAIL_ON fails the listed types (or all with *)", async () => {
    const inject = faultSwitch("fn", { DUPLEX_FAULT_FAIL_ON: "PaymentProcessed, OrderPlaced" });
    await expect(inject(event(1))).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(inject({ eventType: "OrderCancelled", eventId: "x" })).resolves.toBeUndefined();
    await expect(
      faultSwitch("fn", { DUPLEX_FAULT_FAIL_ON: "*" })({ eventType: "Any", eventId: "y" }),
    ).rejects.toThrow(/DUPLEX_FAULT_FAIL_ON/);
  });

  it("DUPLEX_FAULT_FAIL_EVERY fails every Nth event of the environment, retryably", async () => {
    const inject = faultSwitch("fn", { DUPLEX_FAULT_FAIL_EVERY: "3" });
    const failed: number[] = [];
    for (let n = 1; n <= 9; n++) {
      try {
        await inject(event(n));
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
    // The skewed reading first: the machine's clock read after it can only be later.
    const skewed = behind.nowMs();
    const drift = Date.now() - skewed;
    expect(drift).toBeGreaterThanOrEqual(300_000);
    expect(drift).toBeLessThan(300_000 + 1_000);
    expect(Math.abs(behind.now().getTime() - behind.nowMs())).toBeLessThan(1_000);
  });
});

const payment = { eventType: "ProcessPaymentRequested", eventId: "e-1" };
const restock = { eventType: "RestockProductRequested", eventId: "e-2" };

function recorder() {
  const waits: number[] = [];
  return { waits, wait: async (ms: number) => void waits.push(ms) };
}

describe("fault delay (local counterpart of the FIS latency experiment)", () => {
  it("delays only the listed event types, by DUPLEX_FAULT_DELAY_MS or the FIS default", async () => {
    const given = recorder();
    await faultSwitch(
      "payment-commands",
      { DUPLEX_FAULT_DELAY_ON: "ProcessPaymentRequested", DUPLEX_FAULT_DELAY_MS: "1500" },
      given.wait,
    )(payment);
    expect(given.waits).toEqual([1500]);

    const all = recorder();
    const inject = faultSwitch("payment-commands", { DUPLEX_FAULT_DELAY_ON: "*" }, all.wait);
    await inject(payment);
    await inject(restock);
    expect(all.waits).toEqual([DEFAULT_FAULT_DELAY_MS, DEFAULT_FAULT_DELAY_MS]);

    const other = recorder();
    await faultSwitch(
      "payment-commands",
      { DUPLEX_FAULT_DELAY_ON: "RestockProductRequested" },
      other.wait,
    )(payment);
    expect(other.waits).toEqual([]);
  });

  it("delays first, then fails, when both are set (a slow failure)", async () => {
    const { waits, wait } = recorder();
    const inject = faultSwitch(
      "payment-commands",
      { DUPLEX_FAULT_DELAY_ON: "*", DUPLEX_FAULT_FAIL_ON: "*", DUPLEX_FAULT_DELAY_MS: "10" },
      wait,
    );
    await expect(inject(payment)).rejects.toBeInstanceOf(InjectedFaultError);
    expect(waits).toEqual([10]);
  });

  it.each(["-1", "1.5", "soon", "900001"])(
    "refuses DUPLEX_FAULT_DELAY_MS=%s at cold start, naming the variable",
    (raw) => {
      expect(() =>
        faultSwitch("payment-commands", {
          DUPLEX_FAULT_DELAY_ON: "*",
          DUPLEX_FAULT_DELAY_MS: raw,
        }),
      ).toThrow(InvalidEnvironmentVariableError);
      expect(() =>
        faultSwitch("payment-commands", { DUPLEX_FAULT_DELAY_ON: "*", DUPLEX_FAULT_DELAY_MS: raw }),
      ).toThrow(/DUPLEX_FAULT_DELAY_MS/);
    },
  );
});
