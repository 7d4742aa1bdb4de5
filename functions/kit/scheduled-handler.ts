import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { clock } from "./clock.ts";
import type { FunctionDeclaration } from "./declarations.ts";
import { history } from "./history.ts";
import type { Runtime } from "./runtime.ts";
import { createRuntime } from "./runtime.ts";

/**
 * A Lambda handler run on a schedule (sweepers, the reconciler). `run` returns a summary that is
 * logged and returned, so a local run or a test can read what happened.
 *
 * @example
 * ```ts
 * export const handler = scheduledHandler(declaration, async (runtime, now) => ({ swept: 0 }));
 * ```
 */
export function scheduledHandler<T extends Record<string, unknown>>(
  declaration: FunctionDeclaration,
  run: (runtime: Runtime, now: Date) => Promise<T>,
) {
  const runtime = createRuntime(declaration);
  return middy(async (_event: unknown, _context: Context): Promise<T> => {
    const summary = await run(runtime, clock.now()).finally(() => history().flush());
    if (Object.values(summary).some((v) => typeof v === "number" && v > 0)) {
      runtime.logger.info("sweep done", summary);
    }
    return summary;
  })
    .use(injectLambdaContext(runtime.logger))
    .use(logMetrics(runtime.metrics));
}
