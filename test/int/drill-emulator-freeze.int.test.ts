/**
 * The `emulator-freeze` drill (`npm run drill -- emulator-freeze`): the AWS emulator the stack runs
 * (moto, or LocalStack with DUPLEX_EMULATOR=localstack: EventBridge, SQS) frozen
 * with SIGSTOP for 15 s under the order workload. It must end with the history check and the
 * invariants clean. Disturbs the shared stack while it runs: the int project runs files one at a
 * time.
 */
import { describe, it } from "vitest";
import { DRILL_TIMEOUT_MS, drillInTest, expectDrillPassed } from "../support/drills.ts";

describe("drill emulator-freeze", () => {
  it(
    "loses nothing acknowledged, applies nothing twice, keeps every invariant",
    async () => {
      const result = await drillInTest("emulator-freeze");
      expectDrillPassed(result);
    },
    DRILL_TIMEOUT_MS,
  );
});
