import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { FastLaneTrigger } from "../../functions/kit/declarations.ts";
import type { LocalFunction } from "./local-function.ts";
import type { CommandQueue } from "./resources.ts";

/**
 * Lambda's SQS event source mapping, locally: long-polls the queue, hands batches of up to
 * `batchSize` to the function, deletes the records that succeeded and leaves the ones reported in
 * `batchItemFailures` (or the whole batch, if the invocation failed) to reappear after the
 * visibility timeout; SQS itself moves a message to the DLQ after `maxReceiveCount` receives.
 */
export class SqsPoller {
  readonly #sqs: SQSClient;
  readonly #fn: LocalFunction;
  readonly #queue: CommandQueue;
  readonly #trigger: FastLaneTrigger;
  readonly #region: string;
  #running = false;
  #loop: Promise<void> | undefined;
  batches = 0;

  constructor(
    sqs: SQSClient,
    fn: LocalFunction,
    queue: CommandQueue,
    trigger: FastLaneTrigger,
    region: string,
  ) {
    this.#sqs = sqs;
    this.#fn = fn;
    this.#queue = queue;
    this.#trigger = trigger;
    this.#region = region;
  }

  get functionName(): string {
    return this.#fn.name;
  }

  /** The queue it polls. */
  get queueName(): string {
    return this.#queue.name;
  }

  /** Whether it is polling. */
  get running(): boolean {
    return this.#running;
  }

  /** What Lambda reports as a mapping's `LastProcessingResult`: `OK`, `PROBLEM: …`, or none yet. */
  lastProcessingResult = "No records processed";
  /** SQS requests the poller made (what Lambda's pollers are billed for on AWS). */
  readonly requests = { receives: 0, emptyReceives: 0, deletes: 0 };

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    // The poll in progress is waited out, not aborted: the emulator would still hand the next
    // message to an aborted poll, and that message would then sit out its visibility timeout.
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let messages: Message[];
      try {
        const result = await this.#sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.#queue.url,
            MaxNumberOfMessages: Math.min(10, this.#trigger.batchSize),
            // Long polling, as Lambda's pollers do (they wait 20 s): a message that arrives is
            // returned at once; 2 s keeps an idle queue cheap and a stop quick.
            WaitTimeSeconds: 2,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        messages = result.Messages ?? [];
      } catch (error) {
        this.lastProcessingResult = `PROBLEM: cannot receive from ${this.#queue.name}: ${error instanceof Error ? error.message : String(error)}`;
        if (this.#running) await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      this.requests.receives++;
      if (messages.length === 0) {
        this.requests.emptyReceives++;
        continue;
      }
      this.batches++;
      const event = { Records: messages.map((m) => this.#toRecord(m)) };
      let failed: Set<string>;
      try {
        const response = (await this.#fn.invoke(event)) as
          | { batchItemFailures?: { itemIdentifier: string }[] }
          | undefined;
        failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        // As Lambda does, a failure naming no message of the batch fails the whole batch.
        const ids = new Set(messages.map((m) => m.MessageId ?? ""));
        if ([...failed].some((id) => !ids.has(id))) failed = ids;
        this.lastProcessingResult =
          failed.size === 0
            ? "OK"
            : `PROBLEM: ${this.#fn.name} failed ${failed.size} of ${messages.length} message(s)`;
      } catch (error) {
        failed = new Set(messages.map((m) => m.MessageId ?? ""));
        this.lastProcessingResult = `PROBLEM: Function call failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
      if (done.length > 0) {
        this.requests.deletes++;
        await this.#sqs
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.#queue.url,
              Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          )
          .catch(() => undefined);
      }
    }
  }

  #toRecord(message: Message) {
    return {
      messageId: message.MessageId ?? "",
      receiptHandle: message.ReceiptHandle ?? "",
      body: message.Body ?? "",
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? "1",
        SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: message.Attributes?.SenderId ?? "local",
        ApproximateFirstReceiveTimestamp:
          message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          {
            stringValue: value.StringValue,
            dataType: value.DataType ?? "String",
            stringListValues: [],
            binaryListValues: [],
          },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: this.#queue.arn,
      awsRegion: this.#region,
    };
  }
}
