/**
 * The `proxy-cut` drill (`npm run drill -- proxy-cut`): every connection between the clients and
 * the brokers cut by Toxiproxy for 15 s under the order workload. It must end with the history
 * check and the invariants clean. Disturbs the shared stack while it runs: the int project runs
 * files one at a time.
 */
import { describe, expect, it } from "vitest";
import { DRILL_TIMEOUT_MS, drillInTest, expectDrillPassed } from "../support/drills.ts";

describe("drill proxy-cut", () => {
  it(
    "loses nothing acknowledged, applies nothing twice, keeps every invariant",
    async () => {
      const result = await drillInTest("proxy-cut");
      expectDrillPassed(result);
      // 15 s cut off outlasts the publisher's 10 s budget: refusals, all retried into
      // acknowledgements.
      expect(result.placer.refused).toBeGreaterThan(0);
      expect(result.history?.neverAcknowledged).toBe(0);
    },
    DRILL_TIMEOUT_MS,
  );
});
