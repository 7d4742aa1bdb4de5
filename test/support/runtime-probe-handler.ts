import { appendFileSync } from "node:fs";
import type { Context, SQSEvent } from "aws-lambda";
import { fastLaneHandler } from "../../functions/kit/fast-lane-handler.ts";
import type { MskBatchEvent } from "../../functions/kit/log-batch.ts";
import { logHandler } from "../../functions/kit/log-handler.ts";
import type { ProbeLine } from "./runtime-probe.ts";
import { probeFastLaneDeclaration, probeLogDeclaration, readJournal } from "./runtime-probe.ts";

/**
 * The probe's handler module (see runtime-probe.ts), imported by the local host's worker only:
 * it reads its environment at cold start, like every handler.
 */

const journal = process.env.PROBE_JOURNAL ?? "";
const failures = new Map<string, number>(
  Object.entries(JSON.parse(process.env.PROBE_FAIL ?? "{}") as Record<string, number>),
);
const delayMs = Number(process.env.PROBE_DELAY_MS ?? "0");
const misreport = process.env.PROBE_MISREPORT === "1";

/**
 * With `PROBE_MISREPORT=1` the very first invocation handles nothing and answers with a batch
 * item failure that names no record of the batch (a broken handler); Lambda must then treat the
 * whole batch as failed.
 */
function misreported(): { batchItemFailures: { itemIdentifier: string }[] } | undefined {
  if (!misreport || readJournal(journal).filter((l) => l.t === "invoke").length > 1) {
    return undefined;
  }
  return { batchItemFailures: [{ itemIdentifier: "no-such-record" }] };
}

function write(line: ProbeLine): void {
  appendFileSync(journal, `${JSON.stringify(line)}\n`);
}

/**
 * Journals the attempt and throws when this event should still fail; a success takes
 * `PROBE_DELAY_MS` (a failure is immediate).
 */
async function attempt(eventId: string, item: string): Promise<void> {
  // Counted from the journal: a retry may run in another execution environment.
  const n =
    readJournal(journal).filter((l) => l.t === "attempt" && l.eventId === eventId).length + 1;
  const failTimes = failures.get(eventId) ?? 0;
  const ok = !(failTimes === -1 || n <= failTimes);
  write({ t: "attempt", at: Date.now(), eventId, item, attempt: n, ok });
  if (!ok) throw new Error(`probe: planned failure of ${eventId} (attempt ${n})`);
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
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
        await attempt(event.eventId, `${position.topic}-${position.partition}-${position.offset}`);
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
      return misreported() ?? inner(event, context);
    };
  }
  const inner = fastLaneHandler({
    declaration: probeFastLaneDeclaration,
    handle: async (command, delivery) => {
      await attempt(command.eventId, `receive-${delivery.receiveCount}`);
    },
  });
  return async (event: SQSEvent, context: Context) => {
    write({ t: "invoke", at: Date.now(), items: sqsEventIds(event) });
    return misreported() ?? inner(event, context);
  };
}

export const handler = probe();
