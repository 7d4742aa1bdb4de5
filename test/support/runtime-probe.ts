import { readFileSync } from "node:fs";
import { defineFunction, fastLaneDefaults, logDefaults } from "../../functions/kit/declarations.ts";

/**
 * Probe functions for the runtime integration tests: real Lambda handlers built with the real
 * kit (`logHandler`, `fastLaneHandler`), run by the real local host (worker, SQS / MSK event
 * source mappings) against the real stack. Their `handle` writes a journal line per attempt and
 * fails chosen events a chosen number of times, so a test can see exactly which records each
 * invocation carried and which were (re)attempted. The handler lives in
 * `runtime-probe-handler.ts`, loaded only inside the host's worker.
 *
 * Environment of a probe: `PROBE_KIND` (`log` | `fast-lane`), `PROBE_JOURNAL` (file path),
 * `PROBE_FAIL` (JSON: event id → how many attempts fail; -1 = every attempt), `PROBE_DELAY_MS`
 * (how long a successful attempt takes; failures are immediate), `PROBE_MISREPORT=1` (the first
 * invocation handles nothing and reports a failure naming no record of its batch).
 */

const entry = "test/support/runtime-probe-handler.ts";

/** A log consumer on order-events with the usual MSK mapping settings. */
export const probeLogDeclaration = defineFunction({
  name: "probe-log",
  description: "Test probe on the log (journal + chosen failures).",
  entry,
  trigger: {
    kind: "log",
    topics: ["order-events"],
    consumerGroup: "duplex-probe-log",
    ...logDefaults,
  },
  timeoutSeconds: 30,
  memoryMb: 256,
  resources: [{ kind: "log", access: "produce", topics: ["dead-letters"] }, { kind: "metrics" }],
});

/** A fast-lane command handler on the RegisterCustomerRequested queue. */
export const probeFastLaneDeclaration = defineFunction({
  name: "probe-fast-lane",
  description: "Test probe on the fast lane (journal + chosen failures).",
  entry,
  trigger: { kind: "fast-lane", commands: ["RegisterCustomerRequested"], ...fastLaneDefaults },
  timeoutSeconds: 30,
  memoryMb: 256,
  resources: [
    { kind: "table", table: "idempotency", access: "read-write" },
    { kind: "table", table: "command-ledger", access: "read-write" },
    { kind: "metrics" },
  ],
});

/** One line of a probe's journal. */
export type ProbeLine =
  | { readonly t: "invoke"; readonly at: number; readonly items: readonly string[] }
  | {
      readonly t: "attempt";
      readonly at: number;
      readonly eventId: string;
      readonly item: string;
      readonly attempt: number;
      readonly ok: boolean;
    };

/** The journal so far. */
export function readJournal(path: string): ProbeLine[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ProbeLine);
}
