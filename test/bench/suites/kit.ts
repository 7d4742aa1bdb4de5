import { runChild } from "../lib/child.ts";
import { fmt, type SuiteReport, type Summary, table } from "../lib/harness.ts";

interface KitResult {
  readonly name: string;
  readonly lane: "msk" | "sqs";
  readonly batch: number;
  readonly invocationsPerRep: number;
  readonly reps: number;
  readonly bareUsPerRecord: Summary;
  readonly kitUsPerRecord: Summary;
  readonly overheadUsPerRecord: Summary;
  readonly bareWallUsPerRecord: Summary;
  readonly kitWallUsPerRecord: Summary;
}

interface KitPart {
  readonly name: string;
  readonly cpuUsPerRecord: number;
  readonly wallUsPerRecord: number;
}

const GOAL_US = 25;

/**
 * Handler kit overhead per record vs a bare handler (issue 4, goal < 25 µs excluding I/O). Runs
 * `kit-child.ts` in its own process with stdout on /dev/null (Powertools' logs and EMF metrics go
 * there) and reads the figures back over IPC.
 */
export async function kitSuite(options: { quick: boolean }): Promise<SuiteReport> {
  const {
    result: message,
    otherStderrLines,
    sampleStderr,
  } = await runChild<{
    results: KitResult[];
    parts: KitPart[];
    handled: number;
    stubbedRequests: number;
  }>(new URL("./kit-child.ts", import.meta.url), { args: options.quick ? ["--quick"] : [] });
  const rows = message.results.map((r) => [
    r.name,
    fmt(r.bareUsPerRecord.p50, 2),
    fmt(r.kitUsPerRecord.p50, 2),
    fmt(r.overheadUsPerRecord.p50, 2),
    `${fmt(r.overheadUsPerRecord.min, 1)}–${fmt(r.overheadUsPerRecord.max, 1)}`,
    `${fmt(r.bareWallUsPerRecord.p50, 1)} / ${fmt(r.kitWallUsPerRecord.p50, 1)}`,
    r.overheadUsPerRecord.p50 < GOAL_US ? "met" : "missed",
  ]);
  const first = message.results[0];
  return {
    suite: "kit",
    tables: [
      table(
        `Handler kit overhead, CPU µs per record (median of ${first?.reps ?? "?"} interleaved reps; typical ~1 KB events; goal < ${GOAL_US} µs excluding I/O)`,
        ["adapter", "bare CPU", "kit CPU", "overhead", "range", "wall bare / kit", "goal"],
        rows,
      ),
      table(
        "Parts of the kit alone, µs per record (median of reps)",
        ["part", "CPU µs", "wall µs"],
        message.parts.map((p) => [p.name, fmt(p.cpuUsPerRecord, 2), fmt(p.wallUsPerRecord, 2)]),
      ),
    ],
    data: message,
    notes: [
      "bare = a handler that only JSON.parses each payload; kit = the real adapter with a no-op handle",
      `DynamoDB requests answered by the stub in the SDK-stub variant: ${message.stubbedRequests}`,
      `Powertools wrote ${otherStderrLines} line(s) to stderr${sampleStderr[0] === undefined ? "" : `, e.g. "${sampleStderr[0]}"`}`,
    ],
  };
}
