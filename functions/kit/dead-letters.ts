import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import type { MskEventRecord } from "../../events/codecs/lambda.ts";
import { DEAD_LETTER_TOPIC } from "../../events/topics.ts";
import { DeadLetterError, errorCode } from "./errors.ts";
import type { LogProducer } from "./log/port.ts";

/**
 * Dead-letter destinations for records that cannot be processed. Nothing is dropped: the raw
 * payload goes to the destination together with why it failed, where it came from and which
 * function gave up, so an operator can read it and redrive it (`duplex dlq ...`).
 *
 * - Fast lane: the source queue's own DLQ (found from its redrive policy), with the reason in
 *   message attributes.
 * - Log: the `dead-letters` topic, with the original key, value and headers, plus `dlq_*`
 *   headers for the reason and origin.
 */

/** Attribute / header names of the failure description. */
export const DLQ_FIELDS = {
  code: "dlq_code",
  reason: "dlq_reason",
  functionName: "dlq_function",
  source: "dlq_source",
  failedAt: "dlq_failed_at",
  topic: "dlq_topic",
  partition: "dlq_partition",
  offset: "dlq_offset",
} as const;

const MAX_REASON = 1_000;

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_REASON ? `${message.slice(0, MAX_REASON)}…` : message;
}

/** Sends SQS records to the DLQ of the queue they came from. */
export class SqsDeadLetters {
  readonly #sqs: SQSClient;
  readonly #functionName: string;
  readonly #dlqBySource = new Map<string, Promise<string>>();

  constructor(sqs: SQSClient, functionName: string) {
    this.#sqs = sqs;
    this.#functionName = functionName;
  }

  async send(record: SQSRecord, error: unknown): Promise<void> {
    try {
      const dlqUrl = await this.#dlqFor(record.eventSourceARN);
      const str = (value: string) => ({ DataType: "String", StringValue: value });
      await this.#sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: record.body,
          MessageAttributes: {
            [DLQ_FIELDS.code]: str(errorCode(error)),
            [DLQ_FIELDS.reason]: str(reasonOf(error)),
            [DLQ_FIELDS.functionName]: str(this.#functionName),
            [DLQ_FIELDS.source]: str(record.eventSourceARN),
            [DLQ_FIELDS.failedAt]: str(new Date().toISOString()),
          },
        }),
      );
    } catch (cause) {
      throw new DeadLetterError(`the DLQ of ${record.eventSourceARN}`, record.messageId, { cause });
    }
  }

  #dlqFor(sourceArn: string): Promise<string> {
    let found = this.#dlqBySource.get(sourceArn);
    if (found === undefined) {
      found = this.#lookup(sourceArn);
      found.catch(() => this.#dlqBySource.delete(sourceArn));
      this.#dlqBySource.set(sourceArn, found);
    }
    return found;
  }

  async #lookup(sourceArn: string): Promise<string> {
    const sourceUrl = await this.#urlOf(sourceArn);
    const { Attributes } = await this.#sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ["RedrivePolicy"] }),
    );
    const policy = Attributes?.RedrivePolicy;
    if (policy === undefined) throw new Error(`queue ${sourceArn} has no redrive policy (no DLQ)`);
    const { deadLetterTargetArn } = JSON.parse(policy) as { deadLetterTargetArn: string };
    return this.#urlOf(deadLetterTargetArn);
  }

  async #urlOf(arn: string): Promise<string> {
    const [, , , , account, name] = arn.split(":");
    const { QueueUrl } = await this.#sqs.send(
      new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
    );
    if (QueueUrl === undefined) throw new Error(`no queue for ${arn}`);
    return QueueUrl;
  }
}

/** Sends log records to the `dead-letters` topic. */
export class LogDeadLetters {
  readonly #producer: LogProducer;
  readonly #functionName: string;

  constructor(producer: LogProducer, functionName: string) {
    this.#producer = producer;
    this.#functionName = functionName;
  }

  async send(records: readonly { record: MskEventRecord; error: unknown }[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.#producer.send(
        records.map(({ record, error }) => {
          const headers: Record<string, string> = {};
          for (const header of record.headers) {
            for (const [name, bytes] of Object.entries(header)) {
              headers[name] = Buffer.from(bytes.map((b) => b & 0xff)).toString("utf8");
            }
          }
          Object.assign(headers, {
            [DLQ_FIELDS.code]: errorCode(error),
            [DLQ_FIELDS.reason]: reasonOf(error),
            [DLQ_FIELDS.functionName]: this.#functionName,
            [DLQ_FIELDS.source]: "log",
            [DLQ_FIELDS.failedAt]: new Date().toISOString(),
            [DLQ_FIELDS.topic]: record.topic,
            [DLQ_FIELDS.partition]: String(record.partition),
            [DLQ_FIELDS.offset]: String(record.offset),
          });
          return {
            topic: DEAD_LETTER_TOPIC,
            key: record.key === undefined ? "" : Buffer.from(record.key, "base64").toString("utf8"),
            value: Buffer.from(record.value, "base64"),
            headers,
          };
        }),
      );
    } catch (cause) {
      const first = records[0]?.record;
      throw new DeadLetterError(
        DEAD_LETTER_TOPIC,
        first === undefined ? "?" : `${first.topic}-${first.partition}-${first.offset}`,
        { cause },
      );
    }
  }
}
