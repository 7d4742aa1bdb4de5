/**
 * The stack's own commands, run as a user runs them (`node localstack/stack-cli.ts ...`):
 * `up` twice is harmless, `up` with one component missing starts only that one, `down` leaves no
 * process behind, and bad input or a failed start says what is wrong without leaving anything
 * running. The file brings the stack back up in its original mode at the end, so the other test
 * files are unaffected (but it does stop the stack for a while: run it alone, not while others
 * use the stack). When the stack was the user's, already up before the run, the whole file is
 * skipped (see test/int/global-setup.ts) so that its state survives `npm test`.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stopDynamoDb } from "../../localstack/stack/dynamodb-local.ts";
import {
  type BrokerCount,
  readDuplexEnv,
  type StackStatus,
  stackStatus,
  stackUp,
} from "../../localstack/stack/index.ts";
import { duplexHome, paths, repoRoot } from "../../localstack/stack/paths.ts";
import { isPortFree } from "../../localstack/stack/ports.ts";
import { findProcesses } from "../../localstack/stack/processes.ts";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["localstack/stack-cli.ts", ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 170_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Kafka JVMs, moto servers, LocalStacks and DynamoDB Local JVMs of this checkout. */
function stackProcesses() {
  return findProcesses(duplexHome).filter(
    (p) =>
      p.command.includes("kafka.Kafka") ||
      p.command.includes("moto_server") ||
      p.command.includes("-m localstack.runtime.main") ||
      p.command.includes("-Dduplex.component=dynamodb "),
  );
}

const pidOf = (status: StackStatus, name: string) =>
  status.components.find((c) => c.name === name)?.pid;

let before: StackStatus;
let brokers: BrokerCount;
/** `moto` or `localstack` (whichever the stack runs), or `aws` for an external endpoint. */
let awsComponent: string;
const { kafkaBasePort, dynamodbPort } = readDuplexEnv();

/** The JVM crash reports in the stack's log folder. */
function crashReports(): string[] {
  try {
    return readdirSync(paths.logs).filter((f) => /^hs_err_pid\d+\.log$/.test(f));
  } catch {
    return [];
  }
}

/** False when the stack is the user's: this file would stop it (global-setup.ts says so). */
const mayRestart = inject("duplexMayRestartStack");

beforeAll(async () => {
  if (!mayRestart) return;
  before = await stackStatus();
  expect(before.up).toBe(true);
  brokers = before.brokerCount;
  awsComponent =
    before.components.find((c) => !c.name.startsWith("kafka") && c.name !== "dynamodb")?.name ??
    "none";
});

afterAll(async () => {
  if (!mayRestart) return;
  await stackUp({ brokers, log: () => {} });
}, 180_000);

describe.skipIf(!mayRestart)("stack commands", () => {
  it("`up` twice in a row is harmless: the second restarts nothing", async () => {
    const first = await cli(["up", "--brokers", String(brokers)]);
    const second = await cli(["up", "--brokers", String(brokers)]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const after = await stackStatus();
    expect(after.up).toBe(true);
    // the same processes: nothing was restarted
    expect(after.components.map((c) => c.pid)).toEqual(before.components.map((c) => c.pid));
  });

  it("`status --json` reports every component with pid, ports, memory and readiness", async () => {
    const result = await cli(["status", "--json"]);
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as StackStatus;
    expect(status.components.map((c) => c.name)).toEqual([
      ...Array.from({ length: brokers }, (_, i) => `kafka-${i + 1}`),
      awsComponent,
      "dynamodb",
    ]);
    for (const component of status.components) {
      expect(component).toMatchObject({ running: true, ready: true });
      if (component.managed) expect(component.rssBytes).toBeGreaterThan(0);
    }
  });

  it("`up` with DynamoDB Local missing starts only DynamoDB Local", async () => {
    const dynamodb = before.components.find((c) => c.name === "dynamodb");
    expect(dynamodb?.ports).toEqual([dynamodbPort]);
    await stopDynamoDb(dynamodbPort);
    const result = await cli(["up", "--brokers", String(brokers), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const up = JSON.parse(result.stdout) as { started: string[]; alreadyRunning: string[] };
    expect(up.started).toEqual(["dynamodb"]);
    expect(up.alreadyRunning).toContain(awsComponent);
    const after = await stackStatus();
    expect(after.up).toBe(true);
    for (const c of before.components.filter((c) => c.name !== "dynamodb")) {
      expect(pidOf(after, c.name), c.name).toBe(c.pid);
    }
    before = after;
  });

  it.runIf(process.platform === "linux" && process.arch === "x64")(
    "DynamoDB Local loads sqlite from .duplex/dynamodb/native, not a copy extracted at start",
    () => {
      const pid = pidOf(before, "dynamodb");
      const maps = readFileSync(`/proc/${pid}/maps`, "utf8");
      const sqlite = [
        ...new Set(
          maps
            .split("\n")
            .map((line) => line.split(/\s+/).pop() ?? "")
            .filter((file) => file.includes("sqlite")),
        ),
      ];
      // The kernel maps the resolved file: .duplex/dynamodb may be a link to a shared install.
      const native = realpathSync(paths.dynamodbNative);
      expect(sqlite).toEqual([`${native}/libsqlite4java-linux-amd64-1.0.392.so`]);
    },
  );

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
      await new Promise<void>((r) => blocker?.listen(kafkaBasePort, "127.0.0.1", r));
      const result = await cli(["up", "--brokers", String(brokers)]);
      await new Promise((r) => blocker?.close(r));
      blocker = undefined;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${kafkaBasePort} on 127.0.0.1 is in use by pid`);
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

    it("names the process holding DynamoDB Local's port, and stops what that start began", async () => {
      blocker = createServer();
      await new Promise<void>((r) => blocker?.listen(dynamodbPort, "127.0.0.1", r));
      const result = await cli(["up", "--brokers", String(brokers)]);
      await new Promise((r) => blocker?.close(r));
      blocker = undefined;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${dynamodbPort} on 127.0.0.1 is in use by pid`);
      expect(result.stderr).toContain("DUPLEX_DYNAMODB_PORT");
      expect(stackProcesses()).toEqual([]);
    });

    it("prints DynamoDB Local's log tail when it cannot start", async () => {
      const result = await cli(["up", "--brokers", String(brokers)], {
        DUPLEX_DYNAMODB_HEAP: "1m", // "Too small maximum heap": the JVM exits at once
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/DynamoDB Local \(pid \d+\) exited during start-up/);
      expect(result.stderr).toContain("dynamodb.log ----");
      expect(result.stderr).toMatch(/heap|reserve|memory/i);
      expect(stackProcesses()).toEqual([]);
    });

    it("names a bad environment variable", async () => {
      const result = await cli(["up"], { DUPLEX_KAFKA_BROKERS: "not a broker" });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("DUPLEX_KAFKA_BROKERS");
    });

    it("prints the tail of the failing component's log and stops what it started", async () => {
      // A heap no machine can reserve: the JVM exits at once, and writes a crash report
      // (-XX:ErrorFile) that is no real crash: the test removes the ones it caused.
      const reportsBefore = new Set(crashReports());
      const result = await cli(["up", "--brokers", String(brokers)], {
        DUPLEX_KAFKA_HEAP: "9000g",
      });
      for (const report of crashReports()) {
        if (!reportsBefore.has(report)) rmSync(join(paths.logs, report), { force: true });
      }
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Kafka node kafka-\d \(pid \d+\) exited during start-up/);
      expect(result.stderr).toContain("---- last lines of");
      expect(result.stderr).toMatch(/heap|reserve|memory/i);
      expect(stackProcesses()).toEqual([]);
    });
  });
});
