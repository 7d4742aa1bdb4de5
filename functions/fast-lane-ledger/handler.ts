import { isCriticalCommand } from "../../events/define.ts";
import { reportEffect } from "../kit/history.ts";
import { logHandler } from "../kit/log-handler.ts";
import { MetricUnit } from "../kit/observability.ts";
import { fastLaneDeadlineSeconds } from "../kit/settings.ts";
import { declaration } from "./function.ts";

const deadlineMs = fastLaneDeadlineSeconds() * 1000;

/** Commands of the current batch the ledger already knows (an environment serves one batch at a time). */
let known = new Set<string>();

/**
 * Reads every critical command from the command topics and records it in the ledger as pending,
 * due `DUPLEX_FAST_LANE_DEADLINE_SECONDS` after it was issued, unless its handler already
 * recorded it as handled. The batch's entries are read first in one request per 100 commands:
 * usually the fast lane has handled a command by the time the log brings it here, and then there
 * is nothing to write.
 */
export const handler = logHandler({
  declaration,
  eventTypes: "all",
  prepare: async (events, runtime) => {
    known = await runtime
      .ledger()
      .known(events.filter((e) => isCriticalCommand(e.eventType)).map((e) => e.eventId));
  },
  handle: async (event, _position, runtime) => {
    if (!isCriticalCommand(event.eventType) || known.has(event.eventId)) return;
    const dueAt = new Date(Date.parse(event.occurredAt) + deadlineMs);
    if (await runtime.ledger().recordPending(event, dueAt)) {
      reportEffect("applied");
      runtime.metrics.addMetric("CommandsLedgered", MetricUnit.Count, 1);
    } else {
      reportEffect("repeat");
    }
  },
});
