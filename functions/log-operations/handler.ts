import { readRuntimeConfig } from "../kit/env.ts";
import { createLogClient } from "../kit/log/client.ts";
import { LogAdminError, LogPublishError, OffsetOutOfRangeError } from "../kit/log/errors.ts";
import { partitionReader } from "../kit/log/partition-reader.ts";
import type { LogAdmin, LogProducer } from "../kit/log/port.ts";
import { createObservability } from "../kit/observability.ts";
import { declaration } from "./function.ts";
import { ProduceTooLargeError, runLogOperation } from "./operations.ts";
import {
  LAMBDA_SYNC_PAYLOAD_BYTES,
  type LogOperationResponse,
  parseLogOperation,
} from "./protocol.ts";

const config = readRuntimeConfig(declaration);
const { logger } = createObservability(declaration.name);
const connection = {
  brokers: config.kafka?.brokers ?? [],
  auth: config.kafka?.auth ?? "iam",
  clientId: `duplex-${declaration.name}`,
} as const;
const log = createLogClient(connection);
let admin: LogAdmin | undefined;
let producer: LogProducer | undefined;
const reader = partitionReader(connection);
const targets = {
  get admin() {
    admin ??= log.admin();
    return admin;
  },
  get producer() {
    producer ??= log.producer();
    return producer;
  },
  reader,
};

function refusal(error: unknown): LogOperationResponse | undefined {
  if (error instanceof OffsetOutOfRangeError) {
    return {
      ok: false,
      error: {
        name: "OffsetOutOfRange",
        message: error.message,
        topic: error.topic,
        partition: error.partition,
        logStartOffset: error.logStartOffset,
      },
    };
  }
  if (error instanceof ProduceTooLargeError) {
    return { ok: false, error: { name: "TooLarge", message: error.message } };
  }
  if (error instanceof LogAdminError || error instanceof LogPublishError) {
    return { ok: false, error: { name: error.name, message: error.message } };
  }
  return undefined;
}

/**
 * The log-operations function: one operation per invocation (see `protocol.ts`). Requests that
 * are malformed, or that Kafka refuses, are answered `{ ok: false, error }` naming why; anything
 * else is a function error. Topic names are physical (the caller's namespace included).
 */
export const handler = async (event: unknown): Promise<LogOperationResponse> => {
  const parsed = parseLogOperation(event);
  if (!parsed.ok) return { ok: false, error: { name: "BadRequest", message: parsed.message } };
  const { operation } = parsed;
  try {
    const response: LogOperationResponse = {
      ok: true,
      result: await runLogOperation(operation, targets),
    };
    const size = Buffer.byteLength(JSON.stringify(response));
    if (size > LAMBDA_SYNC_PAYLOAD_BYTES) {
      return {
        ok: false,
        error: {
          name: "TooLarge",
          message: `the answer to ${operation.op} would be ${size} bytes, over Lambda's ${LAMBDA_SYNC_PAYLOAD_BYTES}: ask for less (maxBytes, maxRecords, fewer positions)`,
        },
      };
    }
    logger.info("log operation", { op: operation.op, bytes: size });
    return response;
  } catch (error) {
    const answer = refusal(error);
    if (answer === undefined) throw error;
    logger.warn("log operation refused", { op: operation.op, error: answer });
    return answer;
  }
};
