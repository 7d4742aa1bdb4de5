/**
 * The `broker-crash` drill (`npm run drill -- broker-crash`): SIGKILL of a broker for 15 s under
 * the order workload: the shop front's publishes are refused (the retry budget is 10 s), retried,
 * and all acknowledged; nothing acknowledged is lost; consumers resume. It must end with the
 * history check and the invariants clean. Disturbs the shared stack while it runs: the int project
 * runs files one at a time.
 */
import { describe, expect, it } from "vitest";
import { DRILL_TIMEOUT_MS, drillInTest, expectDrillPassed } from "../support/drills.ts";

describe("drill broker-crash", () => {
  it(
    "loses nothing acknowledged, applies nothing twice, keeps every invariant",
    async () => {
      const result = await drillInTest("broker-crash");
      expectDrillPassed(result);
      // 15 s down outlasts the publisher's 10 s budget: the shop front saw refusals and retried
      // every refused order into an acknowledgement.
      expect(result.placer.refused).toBeGreaterThan(0);
      expect(result.history?.neverAcknowledged).toBe(0);
    },
    DRILL_TIMEOUT_MS,
  );
});
