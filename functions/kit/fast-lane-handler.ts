import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { fromSqsMessageBody } from "../../events/codecs/lambda.ts";
import { EventError } from "../../events/errors.ts";
import type { AnyEvent } from "../../events/types.ts";
import { dynamoDocumentClient } from "./aws.ts";
import type { CommandOf, FastLaneTrigger, FunctionDeclaration } from "./declarations.ts";
import { tableOf } from "./env.ts";
import { errorCode, UnexpectedEventTypeError } from "./errors.ts";
import { faultSwitch } from "./faults.ts";
import type { EffectOutcome } from "./history.ts";
import { history, historyNow, recordedOutcome, withEffectScope } from "./history.ts";
import { eventLogKeys, MetricUnit } from "./observability.ts";
import type { Runtime } from "./runtime.ts";
import { createRuntime } from "./runtime.ts";

/** What a command handler learns about the delivery besides the command itself. */
export interface FastLaneDelivery {
  /** Set when the command came from an EventBridge archive replay. */
  readonly replayName: string | undefined;
  /** SQS receive count (1 on first delivery). */
  readonly receiveCount: number;
}

export interface FastLaneHandlerOptions<D extends FunctionDeclaration<FastLaneTrigger>> {
  readonly declaration: D;
  /**
   * Runs one command. It receives only the commands the declaration routes here, typed as such:
   * end its `switch` with `default: return unhandledCommand(declaration, eventType, command)`, and
   * a command routed here later is a compile error until it has its case.
   */
  readonly handle: (
    command: CommandOf<NoInfer<D>>,
    delivery: FastLaneDelivery,
    runtime: Runtime,
  ) => Promise<void>;
  /** How long an idempotency record lasts; covers archive replays within the window. */
  readonly idempotencyTtlSeconds?: number;
}

/**
 * A Lambda handler for critical commands on the fast lane (SQS, fed by the EventBridge rules).
 *
 * Per record: decode the EventBridge event (upcast to the latest version) → a decode error or a
 * command this function does not declare goes straight to the queue's DLQ with the reason, and the
 * record counts as done → otherwise the command runs once per event id (Powertools idempotency on
 * DynamoDB, keyed by the event id; a replayed or redelivered command that already completed is
 * not applied twice, one that failed before runs now) → the command ledger records it as handled. Records that throw are
 * reported as batch item failures (Powertools batch), so only they come back.
 *
 * @example
 * ```ts
 * export const handler = fastLaneHandler({ declaration, handle: async (command, delivery, runtime) => {
 *   const { eventType } = command; // narrows `command` too
 *   switch (eventType) {
 *     case "ProcessPaymentRequested": ...; return;
 *     case "RefundPaymentRequested": ...; return;
 *     default: return unhandledCommand(declaration, eventType, command); // `never` here
 *   }
 * }});
 * ```
 */
export function fastLaneHandler<D extends FunctionDeclaration<FastLaneTrigger>>(
  options: FastLaneHandlerOptions<D>,
) {
  const { declaration } = options;
  type Routed = CommandOf<D>;
  if (declaration.trigger.kind !== "fast-lane") {
    throw new Error(`${declaration.name} is not declared on the fast lane`);
  }
  const accepted: ReadonlySet<string> = new Set(declaration.trigger.commands);
  const isRouted = (event: AnyEvent): event is Routed => accepted.has(event.eventType);
  const runtime = createRuntime(declaration);
  const { logger, metrics } = runtime;

  // The key is the event id itself (the first argument of the idempotent function below), so
  // Powertools needs no JMESPath expression per record.
  const idempotencyConfig = new IdempotencyConfig({
    expiresAfterSeconds: options.idempotencyTtlSeconds ?? 7 * 86_400,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: tableOf(runtime.config, "idempotency"),
    awsSdkV3Client: dynamoDocumentClient(),
  });
  const injectFault = faultSwitch(declaration.name);
  const recorder = history();
  const recordEffect = (command: Routed, outcome: EffectOutcome, error?: unknown) => {
    if (!recorder.enabled) return;
    recorder.record({
      k: "effect",
      at: historyNow(),
      src: declaration.name,
      via: "fast-lane",
      id: command.eventId,
      type: command.eventType,
      key: command.aggregateId,
      outcome,
      ...(error === undefined
        ? {}
        : { error: error instanceof Error ? error.message : String(error) }),
    });
  };
  /** Event ids whose handler body ran in this invocation (a completed idempotency record skips it). */
  const ran = new Set<string>();
  const handleOnce = makeIdempotent(
    async (_eventId: string, command: Routed, delivery: FastLaneDelivery) => {
      ran.add(command.eventId);
      await injectFault(command);
      await options.handle(command, delivery, runtime);
      return { handled: command.eventId };
    },
    { persistenceStore, config: idempotencyConfig, dataIndexArgument: 0 },
  );

  const processor = new BatchProcessor(EventType.SQS);
  // Counted once per invocation: one metric value per batch rather than one per record. (An
  // execution environment serves one invocation at a time.)
  let handledInThisInvocation = 0;

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    let command: Routed;
    let replayName: string | undefined;
    try {
      const delivered = fromSqsMessageBody(record.body);
      const { event } = delivered;
      if (!isRouted(event)) {
        throw new UnexpectedEventTypeError(declaration.name, event.eventType, event.eventId);
      }
      command = event;
      replayName = delivered.replayName;
    } catch (error) {
      if (error instanceof EventError || error instanceof UnexpectedEventTypeError) {
        await runtime.sqsDeadLetters().send(record, error);
        metrics.addMetric("DeadLettered", MetricUnit.Count, 1);
        logger.error("command sent to the dead-letter queue", {
          messageId: record.messageId,
          code: errorCode(error),
          reason: (error as Error).message,
        });
        return;
      }
      throw error;
    }
    const started = Date.now();
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? "1");
    ran.delete(command.eventId);
    const scoped = await withEffectScope(async () => {
      await handleOnce(command.eventId, command, { replayName, receiveCount });
    });
    // The body did not run: a completed idempotency record answered for it.
    const repeat = !scoped.failed && !ran.has(command.eventId);
    recordEffect(command, repeat ? "repeat" : recordedOutcome(scoped), scoped.error);
    if (scoped.failed) throw scoped.error;
    await runtime.ledger().markHandled(command.eventId, command.eventType, declaration.name);
    handledInThisInvocation++;
    metrics.addMetric(
      "FastLaneLatency",
      MetricUnit.Milliseconds,
      Math.max(0, Date.now() - Date.parse(command.occurredAt)),
    );
    // Every command at DEBUG; replays and redeliveries, which an operator looks for, at INFO.
    const unusual = replayName !== undefined || receiveCount > 1;
    if (unusual || logger.getLevelName() === "DEBUG") {
      logger[unusual ? "info" : "debug"]("command handled", {
        ...eventLogKeys(command),
        ms: Date.now() - started,
        receiveCount,
        ...(replayName === undefined ? {} : { replayName }),
      });
    }
  };

  return middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    idempotencyConfig.registerLambdaContext(context);
    handledInThisInvocation = 0;
    const response = await processPartialResponse(event, recordHandler, processor, {
      context,
    }).finally(() => recorder.flush());
    if (handledInThisInvocation > 0) {
      metrics.addMetric("CommandsHandled", MetricUnit.Count, handledInThisInvocation);
    }
    return response;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
