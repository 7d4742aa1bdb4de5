import { parentPort, workerData } from "node:worker_threads";
import { isPackedMskEvent, unpackMskEvent } from "./msk-transfer.ts";

/**
 * One Lambda execution environment of the local functions host: a worker thread with the
 * function's own environment variables and its own module instances. It imports the handler
 * module once (the cold start, where a missing variable fails) and then serves invocations.
 */
interface WorkerInit {
  readonly entry: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

interface Invocation {
  readonly id: number;
  readonly event: unknown;
  readonly requestId: string;
}

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error("worker.ts must run in a worker thread");

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let handler: Handler | undefined;
try {
  const module = (await import(init.entry)) as { handler?: Handler };
  if (typeof module.handler !== "function") {
    throw new Error(`${init.entry} does not export a handler function`);
  }
  handler = module.handler;
  port.postMessage({ kind: "ready" });
} catch (error) {
  port.postMessage({ kind: "init-error", error: serialise(error) });
}

port.on("message", async (invocation: Invocation) => {
  if (handler === undefined) return;
  const deadline = Date.now() + init.timeoutSeconds * 1000;
  const context = {
    functionName: init.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: init.functionArn,
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId: invocation.requestId,
    logGroupName: `/aws/lambda/${init.functionName}`,
    logStreamName: "local",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    // Log batches arrive packed (see msk-transfer.ts); the handler gets Lambda's MSK event.
    const event = isPackedMskEvent(invocation.event)
      ? unpackMskEvent(invocation.event)
      : invocation.event;
    const result = await handler(event, context);
    port.postMessage({ kind: "result", id: invocation.id, result });
  } catch (error) {
    port.postMessage({ kind: "error", id: invocation.id, error: serialise(error) });
  }
});

function serialise(error: unknown) {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: "Error", message: String(error) };
}
