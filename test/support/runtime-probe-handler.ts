import { appendFileSync } from "node:fs";
import type { Context, SQSEvent } from "aws-lambda";
import { fastLaneHandler } from "../../functions/kit/fast-lane-handler.ts";
import type { MskBatchEvent } from "../../functions/kit/log-batch.ts";
import { logHandler } from "../../functions/kit/log-handler.ts";
import type { ProbeLine } from "./runtime-probe.ts";
import { probeFastLaneDeclaration, probeLogDeclaration } from "./runtime-probe.ts";

/**
 * The probe's handler module (see runtime-probe.ts), imported by the local host's worker only:
 * it reads its environment at cold start, like every handler.
 */

const journal = process.env.PROBE_JOURNAL ?? "";
const failures = new Map<string, number>(
  Object.entries(JSON.parse(process.env.PROBE_FAIL ?? "{}") as Record<string, number>),
);
const attempts = new Map<string, number>();

function write(line: ProbeLine): void {
  appendFileSync(journal, `${JSON.stringify(line)}\n`);
}

/** Journals the attempt and throws when this event should still fail. */
function attempt(eventId: string, item: string): void {
  const n = (attempts.get(eventId) ?? 0) + 1;
  attempts.set(eventId, n);
  const failTimes = failures.get(eventId) ?? 0;
  const ok = !(failTimes === -1 || n <= failTimes);
  write({ t: "attempt", at: Date.now(), eventId, item, attempt: n, ok });
  if (!ok) throw new Error(`probe: planned failure of ${eventId} (attempt ${n})`);
}

function sqsEventIds(event: SQSEvent): string[] {
  return event.Records.map((r) => {
    try {
      return (JSON.parse(r.body) as { detail: { eventId: string } }).detail.eventId;
    } catch {
      return `unparsable:${r.messageId}`;
    }
  });
}

type Handler = (event: never, context: Context) => Promise<unknown>;

function probe(): Handler {
  if (process.env.PROBE_KIND === "log") {
    const inner = logHandler({
      declaration: probeLogDeclaration,
      eventTypes: "all",
      handle: async (event, position) => {
        attempt(event.eventId, `${position.topic}-${position.partition}-${position.offset}`);
      },
    });
    return async (event: MskBatchEvent, context: Context) => {
      write({
        t: "invoke",
        at: Date.now(),
        items: Object.values(event.records)
          .flat()
          .map((r) => `${r.topic}-${r.partition}-${r.offset}`),
      });
      return inner(event, context);
    };
  }
  const inner = fastLaneHandler({
    declaration: probeFastLaneDeclaration,
    handle: async (command, delivery) => {
      attempt(command.eventId, `receive-${delivery.receiveCount}`);
    },
  });
  return async (event: SQSEvent, context: Context) => {
    write({ t: "invoke", at: Date.now(), items: sqsEventIds(event) });
    return inner(event, context);
  };
}

export const handler = probe();
