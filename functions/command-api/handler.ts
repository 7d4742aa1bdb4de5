import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { EventError } from "../../events/errors.ts";
import type { AnyCommand } from "../../events/types.ts";
import { dynamoDocumentClient } from "../kit/aws.ts";
import { tableOf } from "../kit/env.ts";
import { HttpProblem } from "../kit/http/errors.ts";
import { httpHandler } from "../kit/http/http-handler.ts";
import { json } from "../kit/http/responses.ts";
import { LogPublishError } from "../kit/log/errors.ts";
import { MetricUnit } from "../kit/observability.ts";
import { createRuntime } from "../kit/runtime.ts";
import { fastLaneDeadlineSeconds } from "../kit/settings.ts";
import {
  buildCommand,
  type CommandRequest,
  parseCommandRequest,
  problemOfEventError,
} from "./command.ts";
import { declaration } from "./function.ts";
import { parseIdempotencyKey, RETRY_AFTER_SECONDS } from "./idempotency-key.ts";

const runtime = createRuntime(declaration);
const { logger, metrics } = runtime;
const deadlineSeconds = fastLaneDeadlineSeconds();

/** What is answered for an accepted command, and replayed for a repeated key. */
export interface Accepted {
  readonly commandId: string;
  readonly commandType: string;
  readonly correlationId: string;
  readonly aggregateId: string;
  readonly acceptedAt: string;
  readonly status: "accepted";
  /** Whether the fast lane took it at once (else the reconciler delivers it from the log). */
  readonly fastLane: "delivered" | "deferred";
  readonly statusUrl: string;
  readonly flowUrl: string;
}

/**
 * Log first, through the kit's publisher: the command is in the log (acks=all) before it goes to
 * the bus. When the log does not acknowledge, nothing was published: `503` with `Retry-After`
 * (and the idempotency record is released, so the client's retry with the same key runs again).
 */
async function accept(command: AnyCommand): Promise<Accepted> {
  let result: Awaited<ReturnType<typeof runtime.publisher.publish>>;
  try {
    result = await runtime.publisher.publish([command]);
  } catch (error) {
    if (error instanceof LogPublishError) {
      metrics.addMetric("CommandsRefused", MetricUnit.Count, 1);
      throw new HttpProblem({
        status: 503,
        kind: "log-unavailable",
        title: "The log did not acknowledge the command",
        detail: `${command.eventType} was not published (nothing reached the log or the fast lane): ${error.message}. Retry with the same Idempotency-Key.`,
        code: "LOG_UNAVAILABLE",
        headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
        cause: error,
      });
    }
    if (error instanceof EventError) throw problemOfEventError(error, command.eventType);
    throw error;
  }
  metrics.addMetric("CommandsAccepted", MetricUnit.Count, 1);
  // What the fast-lane ledger would record on reading the command: done here too, so the status
  // URL answers at once. Best effort: the ledger consumer records it anyway.
  await runtime
    .ledger()
    .recordPending(command, new Date(Date.parse(command.occurredAt) + deadlineSeconds * 1000))
    .catch((error: unknown) =>
      logger.warn("ledger entry not written; the ledger consumer will write it", { error }),
    );
  return {
    commandId: command.eventId,
    commandType: command.eventType,
    correlationId: command.correlationId,
    aggregateId: command.aggregateId,
    acceptedAt: command.occurredAt,
    status: "accepted",
    fastLane: result.fastLane.failed.length === 0 ? "delivered" : "deferred",
    statusUrl: `/commands/${command.eventId}`,
    flowUrl: `/flows/${command.correlationId}`,
  };
}

/** The idempotency record: keyed by caller and key, validated by type, version and data. */
interface KeyedRequest extends CommandRequest {
  readonly caller: string;
  readonly key: string;
}

const idempotencyConfig = new IdempotencyConfig({
  eventKeyJmesPath: "[caller, key]",
  payloadValidationJmesPath: "[type, version, data]",
  expiresAfterSeconds: 24 * 3_600,
  throwOnNoIdempotencyKey: true,
});
let ranThisInvocation = false;
const acceptOnce = makeIdempotent(
  async (_request: KeyedRequest, command: AnyCommand) => {
    ranThisInvocation = true;
    return accept(command);
  },
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: tableOf(runtime.config, "idempotency"),
      awsSdkV3Client: dynamoDocumentClient(),
    }),
    config: idempotencyConfig,
  },
);

/**
 * `POST /commands/{type}`: the body is the command's data. With an `Idempotency-Key` header, the
 * first answer is stored for 24 h: the same key and body replay it (`Idempotency-Replayed: true`),
 * the same key with another body is a `409`, and so is a key whose first request is still running.
 */
export const handler = httpHandler({
  declaration,
  runtime,
  routes: {
    "POST /commands/{type}": async (request, context) => {
      idempotencyConfig.registerLambdaContext(context);
      const key = parseIdempotencyKey(request.headers["idempotency-key"]);
      const parsed = parseCommandRequest(request.pathParameters.type ?? "", request.body, {
        version: request.query.version,
        traceparent: request.headers.traceparent,
      });
      const command = buildCommand(parsed);
      ranThisInvocation = false;
      let accepted: Accepted;
      try {
        accepted =
          key === undefined
            ? await accept(command)
            : ((await acceptOnce({ ...parsed, caller: request.caller, key }, command)) as Accepted);
      } catch (error) {
        throw idempotencyProblem(error, key) ?? error;
      }
      const replayed = key !== undefined && !ranThisInvocation;
      return json(202, accepted, {
        location: accepted.statusUrl,
        ...(replayed ? { "idempotency-replayed": "true" } : {}),
      });
    },
  },
});

function idempotencyProblem(error: unknown, key: string | undefined): HttpProblem | undefined {
  if (error instanceof IdempotencyValidationError) {
    return new HttpProblem({
      status: 409,
      kind: "idempotency-key-reused",
      title: "Idempotency-Key reused with another request",
      detail: `Idempotency-Key '${key}' was first used with another command type, version or body; use a new key for a new command`,
      code: "IDEMPOTENCY_KEY_REUSED",
      cause: error,
    });
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return new HttpProblem({
      status: 409,
      kind: "idempotency-key-in-flight",
      title: "A request with this Idempotency-Key is still running",
      detail: `the first request with Idempotency-Key '${key}' has not finished; retry after it did`,
      code: "IDEMPOTENCY_KEY_IN_FLIGHT",
      headers: { "retry-after": "1" },
      cause: error,
    });
  }
  if (error instanceof IdempotencyPersistenceLayerError) {
    return new HttpProblem({
      status: 503,
      kind: "idempotency-store-unavailable",
      title: "The idempotency store did not answer",
      detail: `nothing was published: ${error.message}`,
      code: "IDEMPOTENCY_STORE_UNAVAILABLE",
      headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
      cause: error,
    });
  }
  return undefined;
}
