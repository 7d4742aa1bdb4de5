/**
 * AWS's DynamoDB Local as the local stack's DynamoDB: one JVM
 * (`software.amazon.dynamodb.services.local.main.ServerRunner -inMemory -sharedDb -port 8000`),
 * ready when it answers a DynamoDB `ListTables` call, reset by a restart (it keeps everything in
 * memory).
 *
 * Why not moto's DynamoDB: moto 5.2.5's `transact_write_items` deep-copies every table it touches
 * for rollback and is not thread-safe, so concurrent transactions fail with HTTP 500 and lose
 * updates (docs/local-parity.md). DynamoDB Local takes a write lock on the tables of a transaction.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { dynamodbClasspath, installedSqliteNative, LAUNCHER_CLASS } from "./dynamodb-install.ts";
import { DEFAULTS } from "./endpoints.ts";
import { EndpointUnavailableError, StartupError } from "./errors.ts";
import { duplexHome, logFile, paths, pidFile } from "./paths.ts";
import { ensurePortFree, waitPortFree } from "./ports.ts";
import { javaCommand } from "./prerequisites.ts";
import {
  findProcesses,
  isAlive,
  removePidFile,
  type StopOutcome,
  spawnDetached,
  stopProcessGroup,
  tailFile,
  trackedPid,
} from "./processes.ts";

/** DynamoDB Local's own ServerRunner, behind our launcher that binds it to 127.0.0.1. */
const MAIN_CLASS = LAUNCHER_CLASS;
/** The command-line marker that identifies our DynamoDB Local JVM (this checkout's). */
const MARKER = `-Dduplex.component=dynamodb -Dduplex.home=${duplexHome}`;

/** What one `ListTables` call said. */
export interface DynamoDbProbe {
  ok: boolean;
  /** Something answered HTTP (even with an error). */
  answered: boolean;
  /** The HTTP status of an error answer. */
  status?: number;
  error?: string;
}

/**
 * Calls `ListTables` once (no retries) with the stack's static credentials.
 *
 * @param timeoutMs - connect and request timeout of this single attempt.
 */
export async function probeDynamoDb(endpoint: string, timeoutMs = 2000): Promise<DynamoDbProbe> {
  const client = new DynamoDBClient({
    endpoint,
    region: DEFAULTS.region,
    credentials: { accessKeyId: DEFAULTS.accessKeyId, secretAccessKey: DEFAULTS.secretAccessKey },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    return { ok: true, answered: true };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const e = error as Error;
    return {
      ok: false,
      answered: status !== undefined,
      ...(status === undefined ? {} : { status }),
      error: `${e.name}: ${e.message}`,
    };
  } finally {
    client.destroy();
  }
}

/** The pid of our DynamoDB Local JVM, if it runs (pid file, else a search of the process table). */
export function dynamodbPid(): number | undefined {
  return trackedPid(pidFile("dynamodb"), MARKER);
}

/** Every DynamoDB Local JVM of this checkout, whatever its pid file says (for `down`). */
export function strayDynamoDbPids(): number[] {
  return findProcesses(MARKER).map((p) => p.pid);
}

/**
 * JVM and DynamoDB Local arguments for a server on `port` with a `heap` maximum heap, loading
 * sqlite from the installed native of this platform (`.duplex/dynamodb/native`) when there is
 * one, else from the copy in DynamoDB Local's jar, extracted to `.duplex/dynamodb/tmp` (see
 * `dynamodb-install.ts`).
 *
 * @param options.component - the `-Dduplex.component` marker; anything but `dynamodb` (e.g. a
 * test's private server) is not the stack's, so `status`/`down` leave it alone.
 */
export function dynamodbArgs(
  port: number,
  heap: string,
  options: { component?: string } = {},
): string[] {
  const native = installedSqliteNative();
  return [
    `-Xmx${heap}`,
    // C1 only: starts in about half the time and, on a two-core machine, runs the short bursts
    // of the tests faster than with C2 compiling alongside (measured: 500 transactions 1.8 s vs 2.9 s).
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
    `-XX:ErrorFile=${join(paths.logs, "hs_err_pid%p.log")}`,
    `-Dduplex.component=${options.component ?? "dynamodb"}`,
    `-Dduplex.home=${duplexHome}`,
    ...(native === undefined
      ? []
      : [`-Dorg.sqlite.lib.path=${paths.dynamodbNative}`, `-Dorg.sqlite.lib.name=${native}`]),
    `-Dorg.sqlite.tmpdir=${join(paths.dynamodbHome, "tmp")}`,
    // read by sqlite4java itself (AWS's instructions for the zip); DynamoDB Local 3.x loads first
    `-Dsqlite4java.library.path=${paths.dynamodbNative}`,
    "-cp",
    dynamodbClasspath(),
    MAIN_CLASS,
    "-inMemory",
    "-sharedDb",
    "-port",
    String(port),
    "-disableTelemetry",
  ];
}

/**
 * Starts DynamoDB Local on `port` unless it already runs. Its output goes to
 * `.duplex/logs/dynamodb.log` (emptied at each start).
 *
 * @throws {PortInUseError} when another process holds the port.
 */
export async function startDynamoDb(
  port: number,
  heap: string,
): Promise<{ pid: number; started: boolean }> {
  const running = dynamodbPid();
  if (running !== undefined) return { pid: running, started: false };
  await ensurePortFree(
    port,
    "or move DynamoDB Local with DUPLEX_DYNAMODB_PORT=<port>, or point AWS_ENDPOINT_URL_DYNAMODB at a DynamoDB that is already running on another port",
  );
  const out = logFile("dynamodb");
  mkdirSync(join(paths.dynamodbHome, "tmp"), { recursive: true });
  writeFileSync(out, "");
  const pid = await spawnDetached({
    command: javaCommand(),
    args: dynamodbArgs(port, heap),
    cwd: paths.dynamodbHome,
    outputFile: out,
    pidFile: pidFile("dynamodb"),
  });
  return { pid, started: true };
}

/** Server errors in a row after which a DynamoDB Local that answers is declared broken. */
const BROKEN_AFTER = 5;

/**
 * Waits until `endpoint` answers `ListTables`. With `watchPid` (our DynamoDB Local), fails fast
 * when that process exits or keeps answering with server errors (e.g. sqlite4java's native
 * library did not load).
 *
 * @throws {StartupError} for our DynamoDB Local, with the tail of its log.
 * @throws {EndpointUnavailableError} for an external endpoint that does not answer.
 */
export async function waitForDynamoDb(
  endpoint: string,
  timeoutMs: number,
  watchPid?: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = () => ({ file: logFile("dynamodb"), tail: tailFile(logFile("dynamodb")) });
  let last: DynamoDbProbe = { ok: false, answered: false };
  let serverErrors = 0;
  for (;;) {
    signal?.throwIfAborted();
    if (watchPid !== undefined && !isAlive(watchPid)) {
      throw new StartupError(
        "dynamodb",
        `DynamoDB Local (pid ${watchPid}) exited during start-up`,
        log(),
        {
          hint: "read the log above (a heap the machine cannot reserve? set DUPLEX_DYNAMODB_HEAP)",
        },
      );
    }
    last = await probeDynamoDb(endpoint, Math.max(500, Math.min(3000, deadline - Date.now())));
    if (last.ok) return;
    serverErrors = last.answered && (last.status ?? 0) >= 500 ? serverErrors + 1 : 0;
    if (watchPid !== undefined && serverErrors >= BROKEN_AFTER) {
      throw new StartupError(
        "dynamodb",
        `DynamoDB Local answers ListTables with errors (${last.error})`,
        log(),
        {
          hint: "read the log above; an UnsatisfiedLinkError means sqlite's native library did not load: delete .duplex/dynamodb and run the command again",
        },
      );
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (watchPid !== undefined) {
    throw new StartupError(
      "dynamodb",
      `DynamoDB Local did not answer ListTables on ${endpoint} within ${Math.round(timeoutMs / 1000)} s` +
        (last.error ? ` (last error: ${last.error})` : ""),
      log(),
      { hint: "a slow machine may need a longer --timeout; otherwise read the log above" },
    );
  }
  throw new EndpointUnavailableError(
    endpoint,
    `the DynamoDB endpoint ${endpoint} (AWS_ENDPOINT_URL_DYNAMODB) does not answer ListTables` +
      (last.error ? `: ${last.error}` : ""),
    {
      hint: "start that DynamoDB, or unset AWS_ENDPOINT_URL_DYNAMODB to let the stack run DynamoDB Local",
    },
  );
}

/** Stops our DynamoDB Local (SIGTERM, SIGKILL after 5 s) and waits for its port to be free. */
export async function stopDynamoDb(port: number): Promise<StopOutcome> {
  const pid = dynamodbPid();
  let outcome: StopOutcome = "not-running";
  if (pid !== undefined) outcome = await stopProcessGroup(pid, { graceMs: 5000 });
  removePidFile(pidFile("dynamodb"));
  if (outcome !== "not-running") await waitPortFree(port, 5000);
  return outcome;
}
