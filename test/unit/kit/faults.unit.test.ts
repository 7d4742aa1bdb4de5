import { describe, expect, it } from "vitest";
import { InvalidEnvironmentVariableError } from "../../../functions/kit/errors.ts";
import {
  DEFAULT_FAULT_DELAY_MS,
  faultSwitch,
  InjectedFaultError,
} from "../../../functions/kit/faults.ts";

const payment = { eventType: "ProcessPaymentRequested", eventId: "e-1" };
const restock = { eventType: "RestockProductRequested", eventId: "e-2" };

function recorder() {
  const waits: number[] = [];
  return { waits, wait: async (ms: number) => void waits.push(ms) };
}

describe("fault switch (local counterparts of the FIS experiments)", () => {
  it("does nothing when no fault is set", async () => {
    const { waits, wait } = recorder();
    const inject = faultSwitch("payment-commands", {}, wait);
    await inject(payment);
    expect(waits).toEqual([]);
  });

  it("fails only the listed event types, with a retryable error naming the event", async () => {
    const inject = faultSwitch("payment-commands", {
      DUPLEX_FAULT_FAIL_ON: "ProcessPaymentRequested",
    });
    await expect(inject(payment)).rejects.toThrow(
      new InjectedFaultError("payment-commands", "ProcessPaymentRequested", "e-1"),
    );
    await expect(inject(restock)).resolves.toBeUndefined();
  });

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
