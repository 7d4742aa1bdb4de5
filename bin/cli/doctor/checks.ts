import { DescribeRuleCommand, ListTargetsByRuleCommand } from "@aws-sdk/client-eventbridge";
import { allEventDefinitions } from "../../../events/registry.ts";
import { topicsFor } from "../../../events/topics.ts";
import { describeTopicChange } from "../../../functions/kit/topics-sync.ts";
import { functionDeclarations } from "../../../functions/registry.ts";
import { fastLaneRoutes, logMappings } from "../../../lib/routes.ts";
import { diffTargetTopics } from "../commands/topics.ts";
import { destinations } from "../dlq/destinations.ts";
import { queueDepth } from "../dlq/sqs.ts";
import { readTopicLetters } from "../dlq/topic.ts";
import type { MappingState } from "../target/platform.ts";
import type { Target } from "../target/target.ts";

/**
 * The checks of `duplex doctor`, each one line: is what the catalog and the declarations say
 * should run actually running, routed, empty of dead letters and quiet? Read-only.
 */

/** `fail` makes the exit code 1; `warn` and `skip` do not. */
export type CheckStatus = "pass" | "fail" | "warn" | "skip";

export interface CheckResult {
  /** What was checked, e.g. `mapping order-saga ← order-events`. */
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

type Report = (result: CheckResult) => void;

interface ExpectedMapping {
  readonly functionName: string;
  readonly kind: MappingState["kind"];
  readonly source: string;
}

function expectedMappings(target: Target): ExpectedMapping[] {
  const log = logMappings(functionDeclarations, topicsFor(target.topicEnvironment)).map((m) => ({
    functionName: m.handler.name,
    kind: "log" as const,
    source: `${target.topicPrefix}${m.topic}`,
  }));
  const lane = fastLaneRoutes(allEventDefinitions(), functionDeclarations).flatMap((r) => {
    const route = target.resources.commands[r.command];
    return route === undefined
      ? []
      : [{ functionName: r.handler.name, kind: "fast-lane" as const, source: route.queue.name }];
  });
  return [...lane, ...log];
}

/** Every declared mapping exists, is enabled (running) and its last processing result is no problem. */
export async function checkMappings(target: Target, report: Report): Promise<void> {
  const expected = expectedMappings(target);
  const functions = [...new Set(expected.map((e) => e.functionName))];
  const actual = await target.platform.mappings(functions);
  for (const want of expected) {
    const check = `mapping ${want.functionName} ← ${want.source}`;
    const found = actual.filter(
      (a) => a.functionName === want.functionName && a.source === want.source,
    );
    if (found.length === 0) {
      report({
        check,
        status: "fail",
        detail: "missing: no event source mapping (or poller) for it",
      });
      continue;
    }
    for (const m of found) {
      const why = m.stateTransitionReason === undefined ? "" : ` (${m.stateTransitionReason})`;
      if (!m.enabled) {
        report({ check, status: "fail", detail: `${m.state}${why}: not consuming` });
      } else if (m.lastProcessingResult.startsWith("PROBLEM")) {
        report({ check, status: "fail", detail: `${m.state}, ${m.lastProcessingResult}` });
      } else {
        report({ check, status: "pass", detail: `${m.state}, ${m.lastProcessingResult}` });
      }
    }
  }
  for (const extra of actual) {
    if (expected.some((e) => e.functionName === extra.functionName && e.source === extra.source))
      continue;
    report({
      check: `mapping ${extra.functionName} ← ${extra.source}`,
      status: "warn",
      detail: `${extra.state}: not declared by functions/${extra.functionName}/function.ts`,
    });
  }
}

/** Every fast-lane command's rule is enabled and targets its queue, with a dead-letter queue. */
export async function checkRules(target: Target, report: Report): Promise<void> {
  const { resources } = target;
  for (const route of Object.values(resources.commands).sort((a, b) =>
    a.command.localeCompare(b.command),
  )) {
    const check = `rule ${route.command}`;
    try {
      const rule = await target.eventBridge.send(
        new DescribeRuleCommand({ Name: route.ruleName, EventBusName: resources.eventBusName }),
      );
      const { Targets = [] } = await target.eventBridge.send(
        new ListTargetsByRuleCommand({
          Rule: route.ruleName,
          EventBusName: resources.eventBusName,
        }),
      );
      const toQueue = Targets.filter((t) => t.Arn?.split(":").pop() === route.queue.name);
      if (rule.State !== "ENABLED") {
        report({
          check,
          status: "fail",
          detail: `${rule.State ?? "no state"}: commands are not routed`,
        });
      } else if (toQueue.length === 0) {
        report({
          check,
          status: "fail",
          detail: `no target: ${route.command} reaches no queue (expected ${route.queue.name})`,
        });
      } else if (toQueue.some((t) => t.DeadLetterConfig?.Arn === undefined)) {
        report({
          check,
          status: "fail",
          detail: `its target ${route.queue.name} has no dead-letter queue: undeliverable commands would be dropped`,
        });
      } else {
        const dlq = toQueue[0]?.DeadLetterConfig?.Arn?.split(":").pop();
        report({ check, status: "pass", detail: `ENABLED → ${route.queue.name} (DLQ ${dlq})` });
      }
    } catch (error) {
      const name = (error as { name?: string }).name ?? "";
      report({
        check,
        status: "fail",
        detail:
          name === "ResourceNotFoundException"
            ? `missing: no rule ${route.ruleName} on ${resources.eventBusName}`
            : (error as Error).message,
      });
    }
  }
}

/** The cluster's topics match the catalog (partitions, configs). */
export async function checkTopics(target: Target, report: Report): Promise<void> {
  const changes = (await diffTargetTopics(target)).filter((c) => c.kind !== "extra");
  report(
    changes.length === 0
      ? { check: "topics", status: "pass", detail: "every topic matches the catalog" }
      : {
          check: "topics",
          status: "fail",
          detail: `${changes.length} difference(s): ${changes.map(describeTopicChange).join("; ")} (duplex topics diff)`,
        },
  );
}

/** Every dead-letter destination is empty. */
export async function checkDeadLetters(target: Target, report: Report): Promise<void> {
  for (const destination of destinations(target)) {
    const check = `dlq ${destination.name}`;
    const pending =
      destination.kind === "topic"
        ? (await readTopicLetters(target, destination)).pending.length
        : await queueDepth(target.sqs, destination.queue);
    report(
      pending === undefined
        ? { check, status: "fail", detail: "missing: the queue does not exist" }
        : pending === 0
          ? { check, status: "pass", detail: "empty" }
          : {
              check,
              status: "fail",
              detail: `${pending} dead letter(s): duplex dlq show ${destination.name}`,
            },
    );
  }
}

/** The stage's alarms exist, and none is in ALARM. */
export async function checkAlarms(target: Target, report: Report): Promise<void> {
  const state = await target.platform.alarms();
  if (state === undefined) {
    report({
      check: "alarms",
      status: "skip",
      detail: "the local stack has no CloudWatch alarms (they exist on AWS only)",
    });
    return;
  }
  const found = state.alarms.length;
  const missing = state.expected !== undefined && found < state.expected;
  report({
    check: "alarms",
    status: missing || found === 0 ? "fail" : "pass",
    detail: `${found} alarm(s) named ${state.prefix}*${state.expected === undefined ? "" : ` (the stack declares ${state.expected})`}`,
  });
  for (const alarm of state.alarms) {
    if (alarm.state === "OK") continue;
    report({
      check: `alarm ${alarm.name}`,
      status: alarm.state === "ALARM" ? "fail" : "warn",
      detail: `${alarm.state}: ${alarm.reason}`,
    });
  }
}

/** Every check, in order. */
export const CHECKS = [
  checkMappings,
  checkRules,
  checkTopics,
  checkDeadLetters,
  checkAlarms,
] as const;
