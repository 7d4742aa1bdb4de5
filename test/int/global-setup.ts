/**
 * vitest global setup of the `int` project: brings the local stack up unless it already is, and
 * brings it down after the run only if this setup started it and `DUPLEX_KEEP_STACK` is unset.
 * Tests read the endpoints with `inject("duplexEndpoints")` or `localEndpoints()`.
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

  return async () => {
    if (!startedHere) return;
    if (process.env.DUPLEX_KEEP_STACK) {
      log("DUPLEX_KEEP_STACK is set: leaving the stack up (npm run stack:down stops it)");
      return;
    }
    await stackDown({ log });
  };
}
