import { expect } from "vitest";
import type { DrillName } from "../../localstack/drills/catalog.ts";
import type { DrillResult } from "../../localstack/drills/runner.ts";
import { runDrill } from "../../localstack/drills/runner.ts";
import { readState } from "../../localstack/stack/state.ts";

/**
 * Runs a drill of `npm run drill` from a test, on the stack the integration tests brought up
 * (whatever its broker count), under a small load: 45 orders at 3/s. Progress goes to stderr.
 */
export function drillInTest(name: DrillName): Promise<DrillResult> {
  return runDrill(name, {
    brokers: readState()?.brokerCount ?? 1,
    orders: 45,
    rate: 3,
    say: (line) => process.stderr.write(`[drill] ${line}\n`),
  });
}

/** A drill gets minutes (a broker restart, the whole run drained and checked). */
export const DRILL_TIMEOUT_MS = 900_000;

/** What every drill must show: no failure, the fault injected, the history clean, nothing given up. */
export function expectDrillPassed(result: DrillResult): void {
  expect(result.failures).toEqual([]);
  expect(result.window).toBeDefined();
  expect(result.history).toMatchObject({ lost: 0, duplicateEffects: 0, ok: true });
  expect(result.history?.acknowledged).toBeGreaterThan(100);
  expect(result.placer.givenUp).toEqual([]);
}
