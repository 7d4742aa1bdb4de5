/**
 * vitest global setup of the `int` project: brings the local stack up unless it already is, and
 * brings it down after the run only if this setup started it and `DUPLEX_KEEP_STACK` is unset.
 * Tests read the endpoints with `inject("duplexEndpoints")` or `localEndpoints()`.
 *
 * A stack that was already up is the user's (e.g. `npm start -- --serve`): the tests use it as it
 * is and leave its state alone. The one file that stops and restarts the stack
 * (`stack-lifecycle.int.test.ts`, which would wipe moto's and DynamoDB Local's in-memory state)
 * is skipped then, with a warning, unless `DUPLEX_TEST_RESTART_STACK=1`.
 */
import type { TestProject } from "vitest/node";
import {
  describeStackError,
  type LocalEndpoints,
  localEndpoints,
  stackDown,
  stackStatus,
  stackUp,
} from "../../localstack/stack/index.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the local stack is (Kafka brokers, AWS endpoint, region, credentials). */
    duplexEndpoints: LocalEndpoints;
    /** Whether tests may stop and restart the stack (this run started it, or the user said so). */
    duplexMayRestartStack: boolean;
  }
}

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let startedHere = false;
  try {
    const status = await stackStatus();
    if (!status.up) {
      const result = await stackUp({ log });
      startedHere = result.started.length > 0;
    }
  } catch (error) {
    throw new Error(`the local stack did not come up:\n${describeStackError(error)}`, {
      cause: error,
    });
  }
  project.provide("duplexEndpoints", localEndpoints());
  const mayRestart = startedHere || process.env.DUPLEX_TEST_RESTART_STACK === "1";
  project.provide("duplexMayRestartStack", mayRestart);
  if (!mayRestart) {
    log(
      "WARNING: the local stack was already running, so the tests use it and keep its state; " +
        "stack-lifecycle.int.test.ts (it stops and restarts the stack, wiping moto's and DynamoDB " +
        "Local's data) is skipped. Run with DUPLEX_TEST_RESTART_STACK=1 to include it, or " +
        "`npm run stack:down` first.",
    );
  }

  return async () => {
    if (!startedHere) return;
    if (process.env.DUPLEX_KEEP_STACK) {
      log("DUPLEX_KEEP_STACK is set: leaving the stack up (npm run stack:down stops it)");
      return;
    }
    await stackDown({ log });
  };
}
