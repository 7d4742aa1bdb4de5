/**
 * The `worker-kill` drill (`npm run drill -- worker-kill`): execution environments killed mid-
 * invocation (worker threads terminated) for 20 s under the order workload. It must end with the
 * history check and the invariants clean. Disturbs the shared stack while it runs: the int project
 * runs files one at a time.
 */
import { describe, expect, it } from "vitest";
import { DRILL_TIMEOUT_MS, drillInTest, expectDrillPassed } from "../support/drills.ts";

describe("drill worker-kill", () => {
  it(
    "loses nothing acknowledged, applies nothing twice, keeps every invariant",
    async () => {
      const result = await drillInTest("worker-kill");
      expectDrillPassed(result);
      expect(result.window?.strikes).toBeGreaterThan(0);
    },
    DRILL_TIMEOUT_MS,
  );
});
