import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { toEventBridgeEntry, toEventBridgeEvent } from "../../events/codecs/eventbridge.ts";
import { sqsClient } from "../kit/aws.ts";
import { MetricUnit } from "../kit/observability.ts";
import { scheduledHandler } from "../kit/scheduled-handler.ts";
import { fastLaneDeadlineSeconds, maxRedeliveries } from "../kit/settings.ts";
import { declaration } from "./function.ts";

const deadlineMs = fastLaneDeadlineSeconds() * 1000;
const redeliveryLimit = maxRedeliveries();

/** Whether a queue holds messages waiting for its handler (a backlog, not a lost command). */
async function hasBacklog(queueUrl: string): Promise<boolean> {
  const { Attributes } = await sqsClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0) > 0;
}

/**
 * Redelivers critical commands whose handling was not recorded by their due time, straight to the
 * command's fast-lane queue (bypassing EventBridge, which may be what failed), in the very shape
 * an EventBridge rule delivers. Handlers are idempotent, so a command that was handled but whose
 * record was late costs one no-op. After `DUPLEX_FAST_LANE_MAX_REDELIVERIES` a command is
 * abandoned (it keeps failing in its handler and sits in the queue's DLQ).
 *
 * A queue with messages waiting is a backlog, not a loss: an overdue command is most likely among
 * them, and a copy would only lengthen the queue it waits in (under a burst, every command would
 * be copied, and the copies copied again). Its due time moves on by one deadline instead
 * (`CommandsRedeliveryDeferred`), without counting as a redelivery.
 */
export const handler = scheduledHandler(declaration, async (runtime, now) => {
  const queues = runtime.config.fastLaneQueues ?? {};
  const ledger = runtime.ledger();
  const backlog = new Map<string, Promise<boolean>>();
  let redelivered = 0;
  let deferred = 0;
  let abandoned = 0;
  let unroutable = 0;
  for (const entry of await ledger.due(now)) {
    if (entry.command === undefined) continue;
    if (entry.redeliveries >= redeliveryLimit) {
      await ledger.abandon(entry.eventId);
      abandoned++;
      runtime.logger.error("command abandoned after redeliveries", {
        eventId: entry.eventId,
        eventType: entry.commandType,
        redeliveries: entry.redeliveries,
      });
      continue;
    }
    const queueUrl = queues[entry.commandType];
    if (queueUrl === undefined) {
      unroutable++;
      runtime.logger.error("no fast-lane queue for command type", { eventType: entry.commandType });
      continue;
    }
    if (!backlog.has(queueUrl)) backlog.set(queueUrl, hasBacklog(queueUrl));
    if (await backlog.get(queueUrl)) {
      if (await ledger.postpone(entry.eventId, new Date(now.getTime() + deadlineMs))) deferred++;
      continue;
    }
    const body = toEventBridgeEvent(toEventBridgeEntry(entry.command, "reconciler"), {
      id: `redelivery-${entry.redeliveries + 1}-${entry.eventId}`,
      region: process.env.AWS_REGION ?? "",
    });
    await sqsClient().send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }),
    );
    if (await ledger.markRedelivered(entry.eventId, new Date(now.getTime() + deadlineMs))) {
      redelivered++;
      runtime.logger.warn("command redelivered: the fast lane did not handle it in time", {
        eventId: entry.eventId,
        eventType: entry.commandType,
        dueAt: entry.dueAt,
      });
    }
  }
  runtime.metrics.addMetric("CommandsRedelivered", MetricUnit.Count, redelivered);
  if (deferred > 0) {
    runtime.metrics.addMetric("CommandsRedeliveryDeferred", MetricUnit.Count, deferred);
  }
  if (abandoned > 0) runtime.metrics.addMetric("CommandsAbandoned", MetricUnit.Count, abandoned);
  return { redelivered, deferred, abandoned, unroutable };
});
