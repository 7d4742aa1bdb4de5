import { DEAD_LETTER_TOPIC } from "../../../events/topics.ts";
import { functionDeclarations } from "../../../functions/registry.ts";
import { NotFoundError } from "../errors.ts";
import type { QueueRef, Target } from "../target/target.ts";

/**
 * Every dead-letter destination of a target:
 * - `queue`: a command queue's own DLQ (SQS moved the message after `maxReceiveCount`, or the
 *   handler sent an undecodable one there); redrive goes back to that command queue;
 * - `rule-target`: the DLQ of a rule's target (EventBridge could not deliver to the queue);
 *   redrive goes to the queue the message names (`TARGET_ARN`) or its command's queue;
 * - `topic`: the log's `dead-letters` topic (records a log consumer gave up on); redrive appends
 *   the record to its original topic again.
 */
export type Destination =
  | {
      readonly kind: "queue";
      readonly name: string;
      readonly command: string;
      readonly functionName: string | undefined;
      readonly queue: QueueRef;
      readonly source: QueueRef;
    }
  | {
      readonly kind: "rule-target";
      readonly name: string;
      readonly queue: QueueRef;
      readonly command?: string | undefined;
    }
  | { readonly kind: "topic"; readonly name: string; readonly topic: string };

function handlerOf(command: string): string | undefined {
  return functionDeclarations.find(
    (d) =>
      d.trigger.kind === "fast-lane" && (d.trigger.commands as readonly string[]).includes(command),
  )?.name;
}

export function destinations(target: Target): Destination[] {
  const { resources } = target;
  const queues: Destination[] = Object.values(resources.commands)
    .sort((a, b) => a.command.localeCompare(b.command))
    .map((route) => ({
      kind: "queue",
      name: route.command,
      command: route.command,
      functionName: handlerOf(route.command),
      queue: route.dlq,
      source: route.queue,
    }));
  const ruleTargets: Destination[] = resources.ruleTargetDlqs.map((queue) => ({
    kind: "rule-target",
    name:
      queue.command === undefined
        ? target.kind === "local"
          ? "rule-target"
          : queue.name
        : `${queue.command}.delivery`,
    queue,
    command: queue.command,
  }));
  return [
    ...queues,
    ...ruleTargets,
    { kind: "topic", name: DEAD_LETTER_TOPIC, topic: `${target.topicPrefix}${DEAD_LETTER_TOPIC}` },
  ];
}

/** A destination by the name `dlq list` shows. */
export function destinationNamed(target: Target, name: string): Destination {
  const all = destinations(target);
  const found = all.find((d) => d.name === name || (d.kind !== "topic" && d.queue.name === name));
  if (found === undefined) {
    throw new NotFoundError(`no dead-letter destination '${name}' in ${target.label}`, {
      hint: `run 'duplex dlq list'; names look like ${all[0]?.name ?? "ProcessPaymentRequested"} or dead-letters`,
    });
  }
  return found;
}
