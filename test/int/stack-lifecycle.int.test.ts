/**
 * The stack's own commands, run as a user runs them (`node localstack/stack-cli.ts ...`):
 * `up` twice is harmless, `down` leaves no process behind, and bad input or a failed start
 * says what is wrong without leaving anything running. The file brings the stack back up in
 * its original mode at the end, so the other test files are unaffected.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrokerCount,
  type StackStatus,
  stackStatus,
  stackUp,
} from "../../localstack/stack/index.ts";
import { duplexHome, repoRoot } from "../../localstack/stack/paths.ts";
import { isPortFree } from "../../localstack/stack/ports.ts";
import { findProcesses } from "../../localstack/stack/processes.ts";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["localstack/stack-cli.ts", ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 170_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - t0 });
      },
    );
  });
}

/** Kafka JVMs and moto servers of this checkout. */
function stackProcesses() {
  return findProcesses(duplexHome).filter(
    (p) => p.command.includes("kafka.Kafka") || p.command.includes("moto_server"),
  );
}

let before: StackStatus;
let brokers: BrokerCount;

beforeAll(async () => {
  before = await stackStatus();
  expect(before.up).toBe(true);
  brokers = before.brokerCount;
});

afterAll(async () => {
  await stackUp({ brokers, log: () => {} });
}, 180_000);

describe("stack commands", () => {
  it("`up` twice in a row is harmless and the second is fast", async () => {
    const first = await cli(["up", "--brokers", String(brokers)]);
    const second = await cli(["up", "--brokers", String(brokers)]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(second.ms).toBeLessThan(5000);
    const after = await stackStatus();
    expect(after.up).toBe(true);
    // the same processes: nothing was restarted
    expect(after.components.map((c) => c.pid)).toEqual(before.components.map((c) => c.pid));
  });

  it("`status --json` reports every component with pid, ports, memory and readiness", async () => {
    const result = await cli(["status", "--json"]);
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as StackStatus;
    expect(status.components.length).toBe(brokers + 1);
    for (const component of status.components) {
      expect(component).toMatchObject({ running: true, ready: true });
      if (component.managed) expect(component.rssBytes).toBeGreaterThan(0);
    }
  });

  it("`down` leaves no process behind and frees every port", async () => {
    const ports = before.components.flatMap((c) => c.ports);
    const result = await cli(["down"]);
    expect(result.code, result.stderr).toBe(0);
    expect(stackProcesses()).toEqual([]);
    for (const port of ports) expect(await isPortFree(port), `port ${port}`).toBe(true);
    const status = await cli(["status"]);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain("NOT up");
  });

  describe("while the stack is down", () => {
    let blocker: Server | undefined;

    afterAll(async () => {
      await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
    });

    it("names the process holding a port, says how to fix it, and starts nothing", async () => {
      blocker = createServer();
      await new Promise<void>((r) => blocker?.listen(9092, "127.0.0.1", r));
      const result = await cli(["up", "--brokers", String(brokers)]);
      await new Promise((r) => blocker?.close(r));
      blocker = undefined;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("port 9092 on 127.0.0.1 is in use by pid");
      expect(result.stderr).toContain(String(process.pid));
      expect(result.stderr).toContain("DUPLEX_KAFKA_PORT");
      expect(stackProcesses()).toEqual([]);
    });

    it("says which tool is missing (java via a wrong JAVA_HOME)", async () => {
      const result = await cli(["up"], { JAVA_HOME: "/nonexistent/jdk" });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("Java not found at /nonexistent/jdk/bin/java");
      expect(result.stderr).toContain("fix:");
    });

    it("names a bad environment variable", async () => {
      const result = await cli(["up"], { DUPLEX_KAFKA_BROKERS: "not a broker" });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("DUPLEX_KAFKA_BROKERS");
    });

    it("prints the tail of the failing component's log and stops what it started", async () => {
      // A heap no machine can reserve: the JVM exits at once.
      const result = await cli(["up", "--brokers", String(brokers)], {
        DUPLEX_KAFKA_HEAP: "9000g",
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Kafka node kafka-\d \(pid \d+\) exited during start-up/);
      expect(result.stderr).toContain("---- last lines of");
      expect(result.stderr).toMatch(/heap|reserve|memory/i);
      expect(stackProcesses()).toEqual([]);
    });
  });
});
