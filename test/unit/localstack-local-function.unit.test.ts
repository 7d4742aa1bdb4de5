import { afterEach, describe, expect, it } from "vitest";
import { defineFunction } from "../../functions/kit/declarations.ts";
import { LocalFunction } from "../../localstack/host/local-function.ts";
import { tempDir } from "../support/temp-dirs.ts";

/**
 * The local host's execution environments (real worker threads running a fixture handler):
 * started on demand up to the maximum, discarded when idle down to the minimum.
 */

const declaration = defineFunction({
  name: "environments-fixture",
  description: "Test fixture: waits, then names its thread.",
  entry: "test/support/local-function-fixture.ts",
  trigger: { kind: "schedule", everyMinutes: 1, localEverySeconds: 1 },
  timeoutSeconds: 10,
  memoryMb: 128,
  resources: [],
  concurrency: { reserved: 2, localMin: 1, localMax: 2 },
});

let fn: LocalFunction | undefined;
afterEach(async () => {
  await fn?.close();
  fn = undefined;
});

function start(idleTimeoutMs: number, minEnvironments = 1, coldStartMs = 0): LocalFunction {
  fn = new LocalFunction(
    declaration,
    { PATH: process.env.PATH ?? "", FIXTURE_COLD_START_MS: String(coldStartMs) },
    tempDir("duplex-environments-"),
    { maxConcurrency: 2, minEnvironments, idleTimeoutMs },
  );
  return fn;
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("execution environments of a local function", () => {
  it("start on demand up to the maximum and are reaped when idle, down to the minimum", async () => {
    const f = start(300);
    await f.warm();
    expect(f.environments).toBe(1);
    const results = (await Promise.all(
      Array.from({ length: 5 }, () => f.invoke({ delayMs: 200 })),
    )) as { threadId: number }[];
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
    expect(f.stats.peakEnvironments).toBe(2);
    expect(f.stats.coldStarts).toBe(2);
    await until(() => f.environments === 1);
    expect(f.stats.reaped).toBe(1);
    // The one left still serves.
    await expect(f.invoke({})).resolves.toMatchObject({ bytes: 0 });
  }, 60_000);

  it("are not reaped during a cold start longer than the idle timeout", async () => {
    const f = start(100, 0, 1_000);
    await f.warm();
    expect(f.stats.reaped).toBe(0);
    await expect(f.invoke({})).resolves.toMatchObject({ bytes: 0 });
    // Idle once started: reaped down to the minimum of 0.
    await until(() => f.environments === 0);
  }, 60_000);

  it("keep every environment when reaping is off", async () => {
    const f = start(0);
    await Promise.all(Array.from({ length: 2 }, () => f.invoke({ delayMs: 100 })));
    await new Promise((r) => setTimeout(r, 500));
    expect(f.environments).toBe(2);
    expect(f.stats.reaped).toBe(0);
  }, 60_000);

  it("move transferred buffers to the environment instead of copying them", async () => {
    const f = start(0);
    const bytes = new Uint8Array(4096);
    const result = await f.invoke({ bytes }, { transfer: [bytes.buffer] });
    expect(result).toMatchObject({ bytes: 4096 });
    expect(bytes.byteLength).toBe(0);
  }, 60_000);
});
