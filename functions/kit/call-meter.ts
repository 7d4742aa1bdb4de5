/**
 * Counts the AWS requests a function makes, for the cost model (`npm run cost -- measure`): with
 * `DUPLEX_METER_AWS_CALLS=1` every SDK call prints one line `{"duplexAwsCall":{...}}` to stdout
 * (the function's log), with the service, the operation, the entries it carried (PutEvents,
 * SendMessageBatch) and, for DynamoDB, the read and write capacity units it consumed (the meter
 * asks DynamoDB for `ReturnConsumedCapacity: TOTAL`). Off unless the variable is set; never set on
 * AWS.
 */

/** The variable that turns the meter on. */
export const METER_ENV = "DUPLEX_METER_AWS_CALLS";

/** Marks a meter line in a function's log. */
export const METER_KEY = "duplexAwsCall";

type Handler = (args: { input: object }) => Promise<{ output: unknown }>;

/** The part of an AWS SDK v3 client's middleware stack the meter uses. */
export interface MeterableStack {
  add(
    middleware: (next: Handler, context: { commandName?: string }) => Handler,
    options: { step: "initialize"; name: string },
  ): void;
}

/** One metered call. */
export interface MeteredCall {
  readonly service: string;
  readonly operation: string;
  /** Entries of a batch call (PutEvents, SendMessageBatch, DeleteMessageBatch), else 1. */
  readonly entries: number;
  readonly readUnits: number;
  readonly writeUnits: number;
}

const DYNAMO_READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);
const DYNAMO_WRITES = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);

interface Consumed {
  readonly CapacityUnits?: number;
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
}

function capacity(output: unknown): { read: number; write: number; total: number } {
  const raw = (output as { ConsumedCapacity?: Consumed | Consumed[] } | undefined)
    ?.ConsumedCapacity;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  let read = 0;
  let write = 0;
  let total = 0;
  for (const c of list) {
    read += c.ReadCapacityUnits ?? 0;
    write += c.WriteCapacityUnits ?? 0;
    total += c.CapacityUnits ?? 0;
  }
  return { read, write, total };
}

/**
 * Adds the meter to a client's middleware stack when `DUPLEX_METER_AWS_CALLS=1`.
 *
 * @example
 * ```ts
 * const client = new DynamoDBClient({});
 * meterCalls(client.middlewareStack, "DynamoDB");
 * ```
 */
export function meterCalls(
  stack: MeterableStack,
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (env[METER_ENV] !== "1") return;
  stack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? "").replace(/Command$/, "");
      const input = args.input as Record<string, unknown>;
      const dynamo =
        service === "DynamoDB" && (DYNAMO_READS.has(operation) || DYNAMO_WRITES.has(operation));
      if (dynamo && input.ReturnConsumedCapacity === undefined)
        input.ReturnConsumedCapacity = "TOTAL";
      const result = await next(args);
      const listed = input.Entries ?? input.TransactItems ?? input.RequestItems;
      const entries = Array.isArray(listed) ? listed.length : 1;
      const units = dynamo ? capacity(result.output) : { read: 0, write: 0, total: 0 };
      const call: MeteredCall = {
        service,
        operation,
        entries,
        readUnits: units.read || (DYNAMO_READS.has(operation) ? units.total : 0),
        writeUnits: units.write || (DYNAMO_WRITES.has(operation) ? units.total : 0),
      };
      process.stdout.write(`${JSON.stringify({ [METER_KEY]: call })}\n`);
      return result;
    },
    { step: "initialize", name: "duplexCallMeter" },
  );
}
