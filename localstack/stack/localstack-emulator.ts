/**
 * LocalStack in host mode (no Docker) as the stack's second AWS emulator, for EventBridge, SQS and
 * CloudWatch: `.duplex/localstack/venv/bin/python -m localstack.runtime.main`, its gateway on
 * 127.0.0.1:`DUPLEX_LOCALSTACK_PORT` (4566), ready when `/_localstack/health` reports `events`,
 * `sqs` and `cloudwatch` as `running` (they are loaded eagerly, so the first calls do not pay for
 * it). DynamoDB stays on the stack's DynamoDB Local: LocalStack's own would download DynamoDB
 * Local and a JDK at run time. It keeps everything in memory; a reset is a restart.
 *
 * Everything it writes stays under `.duplex/localstack/` (it would otherwise pick
 * `/var/lib/localstack`, `/etc/localstack` and `/tmp/localstack` on a machine it takes for a
 * container), and nothing phones home: analytics off (`DISABLE_EVENTS`), no certificate download
 * (`SKIP_SSL_CERT_DOWNLOAD`: it makes a self-signed one), no DNS server. Queue URLs are `http://127.0.0.1:<port>/<account>/<name>` (`SQS_ENDPOINT_STRATEGY=off`
 * with `LOCALSTACK_HOST`), like moto's, not `sqs.<region>.localhost.localstack.cloud`, which needs
 * DNS.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EndpointUnavailableError, StartupError } from "./errors.ts";
import { localstackPython } from "./localstack-install.ts";
import { logFile, paths, pidFile } from "./paths.ts";
import { ensurePortFree, waitPortFree } from "./ports.ts";
import {
  isAlive,
  removePidFile,
  type StopOutcome,
  spawnDetached,
  stopProcessGroup,
  tailFile,
  trackedPid,
} from "./processes.ts";

/** The services Duplex uses on the emulator (DynamoDB is DynamoDB Local's). */
export const LOCALSTACK_SERVICES = ["events", "sqs", "cloudwatch"] as const;

/** What `/_localstack/health` said, or why it said nothing. */
export interface LocalStackHealth {
  answered: boolean;
  /** LocalStack's version, e.g. `4.14.0`. */
  version?: string;
  /** State of each service Duplex uses: `running`, `available`, `disabled`, `error`, ... */
  services: Partial<Record<(typeof LOCALSTACK_SERVICES)[number], string>>;
  error?: string;
}

/** The variables LocalStack runs with (see the module doc for why each). */
export function localstackEnvironment(
  port: number,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(base).filter(
      // The parent's AWS endpoint, credentials or a LocalStack profile must not steer it.
      ([name]) => !/^(AWS_|LOCALSTACK_|DUPLEX_|SERVICES$|GATEWAY_|PERSISTENCE$)/.test(name),
    ),
  );
  const home = paths.localstackHome;
  return {
    ...inherited,
    GATEWAY_LISTEN: `127.0.0.1:${port}`,
    LOCALSTACK_HOST: `127.0.0.1:${port}`,
    SERVICES: LOCALSTACK_SERVICES.join(","),
    EAGER_SERVICE_LOADING: "1",
    SQS_ENDPOINT_STRATEGY: "off",
    PERSISTENCE: "0",
    DISABLE_EVENTS: "1",
    SKIP_SSL_CERT_DOWNLOAD: "1",
    DNS_ADDRESS: "0",
    OVERRIDE_IN_DOCKER: "0",
    FILESYSTEM_ROOT: join(home, "fs"),
    CONFIG_DIR: join(home, "config"),
    XDG_CACHE_HOME: join(home, "cache"),
    PYTHONUNBUFFERED: "1",
  };
}

/** The pid of our LocalStack, if it runs. */
export function localstackPid(): number | undefined {
  return trackedPid(pidFile("localstack"), `${localstackPython} -m localstack.runtime.main`);
}

/**
 * Reads `/_localstack/health` once.
 *
 * @example
 * const health = await probeLocalStack("http://127.0.0.1:4566");
 * health.services.sqs; // "running"
 */
export async function probeLocalStack(
  endpoint: string,
  timeoutMs = 2000,
): Promise<LocalStackHealth> {
  try {
    const response = await fetch(`${endpoint}/_localstack/health`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { version?: string; services?: Record<string, string> };
    const services: LocalStackHealth["services"] = {};
    for (const name of LOCALSTACK_SERVICES) {
      const state = body.services?.[name];
      if (state !== undefined) services[name] = state;
    }
    return { answered: true, ...(body.version ? { version: body.version } : {}), services };
  } catch (error) {
    return { answered: false, services: {}, error: (error as Error).message };
  }
}

/** True when every service Duplex uses is loaded (`running`). */
export function localstackReady(health: LocalStackHealth): boolean {
  return LOCALSTACK_SERVICES.every((name) => health.services[name] === "running");
}

/**
 * Starts LocalStack on 127.0.0.1:`port` unless it already runs.
 *
 * @throws {PortInUseError} when another process holds the port.
 */
export async function startLocalStack(port: number): Promise<{ pid: number; started: boolean }> {
  const running = localstackPid();
  if (running !== undefined) return { pid: running, started: false };
  await ensurePortFree(
    port,
    "or run LocalStack elsewhere with DUPLEX_LOCALSTACK_PORT=<port>, or point AWS_ENDPOINT_URL at a LocalStack that is already running",
  );
  const env = localstackEnvironment(port);
  for (const dir of ["FILESYSTEM_ROOT", "CONFIG_DIR", "XDG_CACHE_HOME"]) {
    mkdirSync(env[dir] as string, { recursive: true });
  }
  const out = logFile("localstack");
  writeFileSync(out, "");
  const pid = await spawnDetached({
    command: localstackPython,
    args: ["-m", "localstack.runtime.main"],
    cwd: paths.localstackHome,
    env,
    outputFile: out,
    pidFile: pidFile("localstack"),
  });
  return { pid, started: true };
}

/**
 * Waits until LocalStack reports events, sqs and cloudwatch `running`, failing fast when
 * `watchPid` exits.
 *
 * @throws {StartupError} it exited, or was not ready in time (with the tail of its log).
 */
export async function waitForLocalStack(
  endpoint: string,
  timeoutMs: number,
  watchPid: number | undefined,
  signal?: AbortSignal,
): Promise<LocalStackHealth> {
  const deadline = Date.now() + timeoutMs;
  const failure = (message: string) =>
    new StartupError("localstack", message, {
      file: logFile("localstack"),
      tail: tailFile(logFile("localstack")),
    });
  let last: LocalStackHealth = { answered: false, services: {} };
  for (;;) {
    signal?.throwIfAborted();
    if (watchPid !== undefined && !isAlive(watchPid)) {
      throw failure(`LocalStack (pid ${watchPid}) exited during start-up`);
    }
    last = await probeLocalStack(endpoint, Math.max(300, Math.min(2000, deadline - Date.now())));
    if (localstackReady(last)) return last;
    if (Object.values(last.services).includes("error")) {
      throw failure(
        `LocalStack reports a service in error: ${JSON.stringify(last.services)} (/_localstack/health)`,
      );
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw failure(
    `LocalStack did not report ${LOCALSTACK_SERVICES.join(", ")} running on ${endpoint} within ${Math.round(timeoutMs / 1000)} s` +
      (last.answered ? ` (last: ${JSON.stringify(last.services)})` : ""),
  );
}

/** Stops our LocalStack and waits for its port to be free. */
export async function stopLocalStack(port: number): Promise<StopOutcome> {
  const pid = localstackPid();
  let outcome: StopOutcome = "not-running";
  if (pid !== undefined) outcome = await stopProcessGroup(pid, { graceMs: 15_000 });
  removePidFile(pidFile("localstack"));
  if (outcome !== "not-running") await waitPortFree(port, 10_000);
  return outcome;
}

/**
 * Which emulator answers at `endpoint`: LocalStack answers `/_localstack/health`, moto
 * `/moto-api/data.json`. For tests and tools that must know, whoever started it (the stack, or a
 * LocalStack in Docker).
 *
 * @throws {EndpointUnavailableError} when nothing answers.
 */
export async function identifyEmulator(
  endpoint: string,
): Promise<{ emulator: "moto" | "localstack" | "unknown"; version?: string }> {
  const health = await probeLocalStack(endpoint);
  if (health.answered) {
    return { emulator: "localstack", ...(health.version ? { version: health.version } : {}) };
  }
  try {
    const response = await fetch(`${endpoint}/moto-api/data.json`, {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return { emulator: response.ok ? "moto" : "unknown" };
  } catch (cause) {
    throw new EndpointUnavailableError(endpoint, `nothing answers at ${endpoint}`, { cause });
  }
}
