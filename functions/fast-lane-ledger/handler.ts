import { isCriticalCommand } from "../../events/define.ts";
import { reportEffect } from "../kit/history.ts";
import { logHandler } from "../kit/log-handler.ts";
import { MetricUnit } from "../kit/observability.ts";
import { fastLaneDeadlineSeconds } from "../kit/settings.ts";
import { declaration } from "./function.ts";

const deadlineMs = fastLaneDeadlineSeconds() * 1000;

/**
 * Reads every critical command from the command topics and records it in the ledger as pending,
 * due `DUPLEX_FAST_LANE_DEADLINE_SECONDS` after it was issued, unless its handler already
 * recorded it as handled.
 */
export const handler = logHandler({
  declaration,
  eventTypes: "all",
  handle: async (event, _position, runtime) => {
    if (!isCriticalCommand(event.eventType)) return;
    const dueAt = new Date(Date.parse(event.occurredAt) + deadlineMs);
    if (await runtime.ledger().recordPending(event, dueAt)) {
      reportEffect("applied");
      runtime.metrics.addMetric("CommandsLedgered", MetricUnit.Count, 1);
    } else {
      reportEffect("repeat");
    }
  },
});
