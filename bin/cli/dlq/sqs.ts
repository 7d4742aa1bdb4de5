import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { fromEventBridgeEvent } from "../../../events/codecs/eventbridge.ts";
import { DLQ_FIELDS } from "../../../functions/kit/dead-letters.ts";
import { NotFoundError } from "../errors.ts";
import type { QueueRef, Target } from "../target/target.ts";
import type { Destination } from "./destinations.ts";
import type { DeadLetter } from "./view.ts";

/** A dead letter in an SQS queue, held invisible while the CLI works on it. */
export interface HeldMessage {
  readonly letter: DeadLetter;
  readonly message: Message;
}

export async function queueDepth(sqs: SQSClient, queue: QueueRef): Promise<number | undefined> {
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  } catch (error) {
    if (isMissingQueue(error)) return undefined;
    throw error;
  }
}

export function isMissingQueue(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? "";
  return (
    error instanceof QueueDoesNotExist ||
    name === "QueueDoesNotExist" ||
    name === "AWS.SimpleQueueService.NonExistentQueue"
  );
}

/** Fails (one line, nothing moved) when a redrive target queue does not exist. */
export async function assertQueueExists(sqs: SQSClient, url: string, why: string): Promise<void> {
  try {
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  } catch (error) {
    if (isMissingQueue(error)) {
      throw new NotFoundError(`${why}: queue ${url} no longer exists; nothing was moved`, {
        hint: "redeploy the stack (or restart the session) so the queue exists again, then redrive; or inspect with 'duplex dlq show'",
        cause: error,
      });
    }
    throw error;
  }
}

function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

/** The queue a rule-target DLQ message was meant for (EventBridge's TARGET_ARN attribute). */
function intendedQueue(
  target: Target,
  message: Message,
  command: string | undefined,
): string | undefined {
  const targetArn = attribute(message, "TARGET_ARN");
  if (targetArn !== undefined) {
    const route = Object.values(target.resources.commands).find((r) => r.queue.arn === targetArn);
    if (route !== undefined) return route.queue.url;
    const [, , , region, account, name] = targetArn.split(":");
    if (region !== undefined && account !== undefined && name !== undefined) {
      const example = Object.values(target.resources.commands)[0]?.queue.url;
      const base =
        example === undefined ? `https://sqs.${region}.amazonaws.com` : new URL(example).origin;
      return `${base}/${account}/${name}`;
    }
  }
  const type = command ?? bodyType(message);
  return type === undefined ? undefined : target.resources.commands[type]?.queue.url;
}

function bodyType(message: Message): string | undefined {
  try {
    const body = JSON.parse(message.Body ?? "") as Record<string, unknown>;
    return typeof body["detail-type"] === "string" ? body["detail-type"] : undefined;
  } catch {
    return undefined;
  }
}

/** The readable view of one SQS dead letter. */
export function viewOf(
  target: Target,
  destination: Extract<Destination, { kind: "queue" | "rule-target" }>,
  message: Message,
  maxReceiveCount?: number,
): DeadLetter {
  let body: unknown = message.Body;
  try {
    body = JSON.parse(message.Body ?? "");
  } catch {
    // not JSON: shown as text
  }
  let event: ReturnType<typeof fromEventBridgeEvent> | undefined;
  let decodeError: string | undefined;
  try {
    event = fromEventBridgeEvent(body);
  } catch (error) {
    decodeError = error instanceof Error ? error.message : String(error);
  }
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 0) || undefined;
  const sent = Number(message.Attributes?.SentTimestamp ?? Number.NaN);
  const recordedReason = attribute(message, DLQ_FIELDS.reason);
  const functionName =
    attribute(message, DLQ_FIELDS.functionName) ??
    (destination.kind === "queue" ? destination.functionName : undefined);
  let reason: string;
  if (recordedReason !== undefined) reason = recordedReason;
  else if (destination.kind === "rule-target") {
    reason =
      `EventBridge could not deliver it: ${attribute(message, "ERROR_CODE") ?? "?"} ${attribute(message, "ERROR_MESSAGE") ?? ""}`.trim();
  } else if (decodeError !== undefined) reason = `undecodable: ${decodeError}`;
  else {
    reason = `no error recorded: SQS moved it after ${maxReceiveCount ?? "maxReceiveCount"} failed receives; the error is in ${functionName ?? "the handler"}'s logs (event ${event?.event.eventId ?? "?"})`;
  }
  return {
    id: message.MessageId ?? "?",
    destination: destination.name,
    eventType: event?.event.eventType ?? bodyType(message),
    eventId: event?.event.eventId,
    aggregate:
      event === undefined ? undefined : `${event.event.aggregateType} ${event.event.aggregateId}`,
    correlationId: event?.event.correlationId,
    replayName: event?.replayName,
    since:
      attribute(message, DLQ_FIELDS.failedAt) ??
      (Number.isNaN(sent) ? undefined : new Date(sent).toISOString()),
    code: attribute(message, DLQ_FIELDS.code) ?? attribute(message, "ERROR_CODE"),
    reason,
    functionName,
    receiveCount,
    redriveTo:
      destination.kind === "queue"
        ? destination.source.url
        : intendedQueue(target, message, destination.command),
    body,
  };
}

/**
 * Receives every message of a DLQ (up to `limit`), keeping them invisible for `holdSeconds` so
 * that each is seen once; `release` makes the ones still held visible again.
 */
export async function holdMessages(
  target: Target,
  destination: Extract<Destination, { kind: "queue" | "rule-target" }>,
  options: { limit: number; holdSeconds: number },
): Promise<{ held: HeldMessage[]; release: (keep?: readonly HeldMessage[]) => Promise<void> }> {
  const { sqs } = target;
  const maxReceiveCount = await redriveLimit(sqs, destination);
  const held = new Map<string, HeldMessage>();
  let emptyPolls = 0;
  while (held.size < options.limit && emptyPolls < 2) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: destination.queue.url,
        MaxNumberOfMessages: Math.min(10, options.limit - held.size),
        VisibilityTimeout: options.holdSeconds,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    const fresh = Messages.filter((m) => !held.has(m.MessageId ?? ""));
    emptyPolls = fresh.length === 0 ? emptyPolls + 1 : 0;
    for (const message of fresh) {
      held.set(message.MessageId ?? "", {
        message,
        letter: viewOf(target, destination, message, maxReceiveCount),
      });
    }
  }
  const release = async (only?: readonly HeldMessage[]) => {
    const list = [...(only ?? held.values())];
    for (let i = 0; i < list.length; i += 10) {
      const chunk = list.slice(i, i + 10);
      await sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: destination.queue.url,
            Entries: chunk.map((h, j) => ({
              Id: String(j),
              ReceiptHandle: h.message.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        )
        .catch(() => undefined);
    }
  };
  return { held: [...held.values()], release };
}

/** The source queue's visibility timeout in seconds, when it can be read. */
export async function visibilityTimeoutOf(
  sqs: SQSClient,
  queue: QueueRef,
): Promise<number | undefined> {
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["VisibilityTimeout"] }),
    );
    const seconds = Number(Attributes?.VisibilityTimeout);
    return Number.isFinite(seconds) ? seconds : undefined;
  } catch {
    return undefined;
  }
}

async function redriveLimit(sqs: SQSClient, destination: Destination): Promise<number | undefined> {
  if (destination.kind !== "queue") return undefined;
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: destination.source.url,
        AttributeNames: ["RedrivePolicy"],
      }),
    );
    const policy = Attributes?.RedrivePolicy;
    return policy === undefined
      ? undefined
      : Number((JSON.parse(policy) as { maxReceiveCount: number }).maxReceiveCount);
  } catch {
    return undefined;
  }
}

/** Attributes to carry over on redrive: the original ones, without the failure description. */
function carriedAttributes(message: Message): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (
      name.startsWith("dlq_") ||
      ["ERROR_CODE", "ERROR_MESSAGE", "RULE_ARN", "TARGET_ARN"].includes(name)
    )
      continue;
    out[name] = { DataType: value.DataType ?? "String", StringValue: value.StringValue };
  }
  out.duplex_redriven_at = { DataType: "String", StringValue: new Date().toISOString() };
  return out;
}

/**
 * Sends held messages to where they came from, then deletes them from the DLQ (receive → send →
 * delete, which works on AWS and on the emulator; see docs/local-parity.md). Returns how many moved.
 */
export async function moveMessages(
  target: Target,
  destination: Extract<Destination, { kind: "queue" | "rule-target" }>,
  messages: readonly HeldMessage[],
  action: "redrive" | "purge",
  onProgress: (done: number) => void,
): Promise<number> {
  let moved = 0;
  const byTarget = new Map<string, HeldMessage[]>();
  for (const m of messages) {
    const to = action === "purge" ? "" : (m.letter.redriveTo ?? "");
    byTarget.set(to, [...(byTarget.get(to) ?? []), m]);
  }
  for (const [url, list] of byTarget) {
    for (let i = 0; i < list.length; i += 10) {
      const chunk = list.slice(i, i + 10);
      let sent = chunk;
      if (action === "redrive") {
        const result = await target.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((h, j) => ({
              Id: String(j),
              MessageBody: h.message.Body ?? "",
              MessageAttributes: carriedAttributes(h.message),
            })),
          }),
        );
        const ok = new Set((result.Successful ?? []).map((s) => s.Id));
        sent = chunk.filter((_, j) => ok.has(String(j)));
      }
      if (sent.length > 0) {
        await target.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: destination.queue.url,
            Entries: sent.map((h, j) => ({
              Id: String(j),
              ReceiptHandle: h.message.ReceiptHandle,
            })),
          }),
        );
      }
      moved += sent.length;
      onProgress(moved);
    }
  }
  return moved;
}
