import { threadId } from "node:worker_threads";

// A slow cold start (a loaded machine importing a large bundle), when a test asks for one.
await new Promise((resolve) => setTimeout(resolve, Number(process.env.FIXTURE_COLD_START_MS ?? 0)));

/**
 * A handler for tests of the local host's execution environments: waits `delayMs`, then answers
 * which environment (worker thread) ran it and how many bytes `bytes` held.
 */
export const handler = async (event: { delayMs?: number; bytes?: Uint8Array }) => {
  await new Promise((resolve) => setTimeout(resolve, event.delayMs ?? 0));
  return { threadId, bytes: event.bytes?.byteLength ?? 0 };
};
