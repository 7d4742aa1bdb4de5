/**
 * The local stack's lifecycle: {@link stackUp}, {@link stackDown}, {@link stackStatus},
 * {@link stackReset}. The CLI (`localstack/stack-cli.ts`), the integration tests' global setup
 * and `npm start` all call these.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { dynamodbInstalled, installDynamoDb } from "./dynamodb-install.ts";
import {
  dynamodbPid,
  probeDynamoDb,
  startDynamoDb,
  stopDynamoDb,
  strayDynamoDbPids,
  waitForDynamoDb,
} from "./dynamodb-local.ts";
import {
  type DuplexEnv,
  type Emulator,
  emulatorEndpoint,
  emulatorName,
  emulatorPort,
  isManagedAwsEndpoint,
  isManagedDynamoDb,
  isManagedKafka,
  type LocalEndpoints,
  localEndpoints,
  managedBrokers,
  readDuplexEnv,
  resolveDynamoDbEndpoint,
  withRunningEmulator,
} from "./endpoints.ts";
import { EndpointUnavailableError, StackStateError } from "./errors.ts";
import {
  type KafkaProbe,
  kafkaNodeStatus,
  prepareNodes,
  probeKafka,
  runningPid,
  startNode,
  stopNode,
  strayKafkaPids,
  waitForBrokers,
} from "./kafka-broker.ts";
import { kafkaNodes, modeDir } from "./kafka-config.ts";
import { installKafka, kafkaInstalled } from "./kafka-install.ts";
import {
  localstackPid,
  localstackReady,
  probeLocalStack,
  startLocalStack,
  stopLocalStack,
  waitForLocalStack,
} from "./localstack-emulator.ts";
import { installLocalStack, localstackInstalled } from "./localstack-install.ts";
import { withInstallLock, withStackLock } from "./lock.ts";
import {
  installMoto,
  motoPid,
  probeHttp,
  resetMoto,
  startMoto,
  stopMoto,
  waitForAwsEndpoint,
} from "./moto.ts";
import { logFile, pidFile } from "./paths.ts";
import { portOwner, waitPortFree } from "./ports.ts";
import { checkJava } from "./prerequisites.ts";
import { readPidFile, removePidFile, rssBytes, stopProcessGroup } from "./processes.ts";
import {
  type BrokerCount,
  clearState,
  type KafkaMode,
  modeOf,
  readState,
  type StackState,
  writeState,
} from "./state.ts";
import { toxiproxyPid } from "./toxiproxy.ts";

/** Options of {@link stackUp} and {@link stackReset}. */
export interface StackUpOptions {
  /** 1 (single, the default) or 3 (cluster). Overrides `DUPLEX_KAFKA_BROKERS_COUNT`. */
  brokers?: BrokerCount;
  /**
   * The AWS emulator to run: `moto` (the default) or `localstack`. Overrides `DUPLEX_EMULATOR`;
   * unset, a running stack keeps its emulator.
   */
  emulator?: Emulator;
  /** How long to wait for readiness once processes are started (default 120 s). */
  timeoutMs?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** What {@link stackUp} did. */
export interface StackUpResult {
  mode: KafkaMode;
  brokerCount: BrokerCount;
  /** Components this call started (`kafka-1`, `moto` or `localstack`, `dynamodb`, ...). */
  started: string[];
  /** Components that were already running. */
  alreadyRunning: string[];
  /** What this call installed (`kafka`, `moto`, `localstack`, `dynamodb`). */
  installed: string[];
  endpoints: LocalEndpoints;
  durationMs: number;
}

/** One component in {@link StackStatus}. */
export interface ComponentStatus {
  /**
   * `kafka-1`..`kafka-3`, `moto` or `localstack`, `dynamodb`; or `kafka`/`aws`/`dynamodb` (with
   * `managed` false) for external endpoints.
   */
  name: string;
  /** False when the stack only checks an endpoint it does not run. */
  managed: boolean;
  running: boolean;
  ready: boolean;
  pid: number | undefined;
  ports: number[];
  rssBytes: number | undefined;
  endpoint: string;
  logFile: string | undefined;
}

/** What {@link stackStatus} found. */
export interface StackStatus {
  /** Every component is running and ready. */
  up: boolean;
  mode: KafkaMode;
  brokerCount: BrokerCount;
  /** Whether a state file says the stack was brought up (and not brought down). */
  recorded: boolean;
  components: ComponentStatus[];
  endpoints: LocalEndpoints;
}

/** What {@link stackDown} stopped. */
export interface StackDownResult {
  stopped: { name: string; pid: number; outcome: string }[];
  /** Ports still held after stopping (by someone else), with their holders. */
  portsStillInUse: { port: number; pid?: number; command?: string }[];
}

const DEFAULT_TIMEOUT_MS = 120_000;
const LOCK_TIMEOUT_MS = 20 * 60_000;

const stderrLog = (line: string) => {
  process.stderr.write(`${line}\n`);
};

interface Plan {
  count: BrokerCount;
  basePort: number;
  proxyBasePort: number;
  heap: string;
  kafkaManaged: boolean;
  kafkaBrokers: string[];
  awsManaged: boolean;
  emulator: Emulator;
  awsEndpoint: string;
  motoPort: number;
  localstackPort: number;
  dynamodbManaged: boolean;
  dynamodbEndpoint: string;
  dynamodbPort: number;
  dynamodbHeap: string;
}

function anyKafkaRunning(state: StackState): boolean {
  return kafkaNodes(state.brokerCount, state.kafkaBasePort, state.kafkaProxyBasePort).some(
    (n) => runningPid(n) !== undefined,
  );
}

/** The pid of the emulator the stack runs, whichever it is. */
function runningEmulator(): { emulator: Emulator; pid: number } | undefined {
  const moto = motoPid();
  if (moto !== undefined) return { emulator: "moto", pid: moto };
  const localstack = localstackPid();
  return localstack === undefined ? undefined : { emulator: "localstack", pid: localstack };
}

function plan(brokers: BrokerCount | undefined, requested: Emulator | undefined): Plan {
  const state = readState();
  const env: DuplexEnv & { emulator: Emulator } = withRunningEmulator(
    { ...readDuplexEnv(), ...(requested === undefined ? {} : { emulator: requested }) },
    state,
  );
  const running = state?.kafkaManaged === true && anyKafkaRunning(state);
  const count = brokers ?? env.brokerCount ?? (running && state ? state.brokerCount : 1);
  if (
    running &&
    state &&
    (state.brokerCount !== count || state.kafkaBasePort !== env.kafkaBasePort)
  ) {
    throw new StackStateError(
      `the stack is up with ${state.brokerCount} broker(s) from port ${state.kafkaBasePort}; ` +
        `it cannot switch to ${count} from port ${env.kafkaBasePort} while running`,
      { hint: "run `npm run stack:down` first, then bring it up in the mode you want" },
    );
  }
  const kafkaManaged = isManagedKafka(env.kafkaBrokers);
  const emulator = env.emulator;
  const port = emulatorPort(env, emulator);
  const awsManaged = isManagedAwsEndpoint(env.awsEndpointUrl, port);
  if (running && !kafkaManaged) {
    throw new StackStateError(
      "the stack runs its own Kafka, but DUPLEX_KAFKA_BROKERS now points at another one",
      { hint: "run `npm run stack:down` first, or unset DUPLEX_KAFKA_BROKERS" },
    );
  }
  const live = runningEmulator();
  if (live !== undefined && awsManaged && live.emulator !== emulator) {
    throw new StackStateError(
      `the stack runs ${emulatorName(live.emulator)}; it cannot switch to ${emulatorName(emulator)} while running`,
      {
        hint: `run \`npm run stack:down\` first, or keep ${live.emulator} (unset DUPLEX_EMULATOR, or pass --emulator ${live.emulator})`,
      },
    );
  }
  if (live !== undefined && !awsManaged) {
    throw new StackStateError(
      `the stack runs ${emulatorName(live.emulator)}, but AWS_ENDPOINT_URL now points at ${env.awsEndpointUrl}`,
      { hint: "run `npm run stack:down` first, or unset AWS_ENDPOINT_URL" },
    );
  }
  const recordedPort = state?.emulator === "localstack" ? state.localstackPort : state?.motoPort;
  if (
    live !== undefined &&
    awsManaged &&
    state?.awsManaged &&
    recordedPort !== undefined &&
    recordedPort !== port
  ) {
    throw new StackStateError(
      `${emulatorName(emulator)} is running on port ${recordedPort}; it cannot move to ${port} while running`,
      { hint: "run `npm run stack:down` first, or use the port it runs on" },
    );
  }
  const dynamodbManaged = isManagedDynamoDb(env);
  const dynamodbRunning = dynamodbPid() !== undefined;
  if (!dynamodbManaged && dynamodbRunning && state?.dynamodbManaged !== false) {
    throw new StackStateError(
      `the stack runs DynamoDB Local, but DynamoDB calls would now go to ${resolveDynamoDbEndpoint(env)}` +
        ` (AWS_ENDPOINT_URL${env.dynamodbEndpointUrl === undefined ? "" : "_DYNAMODB"})`,
      {
        hint: `run \`npm run stack:down\` first, or unset AWS_ENDPOINT_URL${env.dynamodbEndpointUrl === undefined ? "" : "_DYNAMODB"}`,
      },
    );
  }
  if (
    dynamodbManaged &&
    dynamodbRunning &&
    state?.dynamodbPort !== undefined &&
    state.dynamodbPort !== env.dynamodbPort
  ) {
    throw new StackStateError(
      `DynamoDB Local is running on port ${state.dynamodbPort}; it cannot move to ${env.dynamodbPort} while running`,
      { hint: "run `npm run stack:down` first, or use the port it runs on" },
    );
  }
  return {
    count,
    basePort: env.kafkaBasePort,
    proxyBasePort: env.kafkaProxyBasePort,
    heap: env.kafkaHeap,
    kafkaManaged,
    kafkaBrokers: env.kafkaBrokers ?? managedBrokers(count, env.kafkaBasePort),
    awsManaged,
    emulator,
    awsEndpoint: env.awsEndpointUrl ?? emulatorEndpoint(port),
    motoPort: env.motoPort,
    localstackPort: env.localstackPort,
    dynamodbManaged,
    dynamodbEndpoint: resolveDynamoDbEndpoint(env),
    dynamodbPort: env.dynamodbPort,
    dynamodbHeap: env.dynamodbHeap,
  };
}

/** True when DynamoDB has an endpoint of its own that the stack does not run (checked apart). */
function separateExternalDynamoDb(
  p: Pick<Plan, "dynamodbManaged" | "dynamodbEndpoint" | "awsEndpoint">,
): boolean {
  return !p.dynamodbManaged && p.dynamodbEndpoint !== p.awsEndpoint;
}

const INSTALL_LOCK_TIMEOUT_MS = 30 * 60_000;

/**
 * Installs what `p` runs and is missing: the two Maven installs one after the other (they share
 * ~/.m2), alongside pip. An install replaces files under a running process never: a changed pom or
 * requirements file takes effect at the next start. Each install holds its component's install
 * lock, so a concurrent `stack:install` is waited for.
 */
async function installFor(p: Plan, log: (line: string) => void): Promise<string[]> {
  const kafkaRunning =
    p.kafkaManaged &&
    kafkaNodes(p.count, p.basePort, p.proxyBasePort).some((n) => runningPid(n) !== undefined);
  const dynamodbRunning = p.dynamodbManaged && dynamodbPid() !== undefined;
  const emulatorRunning = p.awsManaged && runningEmulator()?.emulator === p.emulator;
  const changed = (component: string, file: string) =>
    log(
      `${component}: ${file} changed; it is installed at the next start (stack:down, then stack:up)`,
    );
  if (kafkaRunning && !kafkaInstalled()) changed("kafka", "localstack/kafka/pom.xml");
  if (dynamodbRunning && !dynamodbInstalled()) changed("dynamodb", "localstack/dynamodb/pom.xml");
  if (emulatorRunning && p.emulator === "localstack" && !localstackInstalled()) {
    changed("localstack", "localstack/localstack/requirements.txt");
  }
  const locked = (component: string, install: () => Promise<boolean>) =>
    withInstallLock(component, install, INSTALL_LOCK_TIMEOUT_MS);
  const maven = async (): Promise<string[]> => {
    const kafka =
      p.kafkaManaged && !kafkaRunning && (await locked("kafka", () => installKafka(log)));
    const dynamodb =
      p.dynamodbManaged &&
      !dynamodbRunning &&
      (await locked("dynamodb", () => installDynamoDb(log)));
    return [...(kafka ? ["kafka"] : []), ...(dynamodb ? ["dynamodb"] : [])];
  };
  const python = async (): Promise<string[]> => {
    if (!p.awsManaged || emulatorRunning) return [];
    const installed =
      p.emulator === "moto"
        ? await locked("moto", () => installMoto(log))
        : await installLocalStack(log); // takes its install lock itself
    return installed ? [p.emulator] : [];
  };
  const [mavenNew, pythonNew] = await Promise.all([maven(), python()]);
  return [...mavenNew, ...pythonNew];
}

async function up(options: StackUpOptions): Promise<StackUpResult> {
  const t0 = Date.now();
  const log = options.log ?? stderrLog;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const p = plan(options.brokers, options.emulator);
  if (p.kafkaManaged || p.dynamodbManaged) checkJava();
  const installed = await installFor(p, log);

  writeState({
    version: 1,
    mode: modeOf(p.count),
    brokerCount: p.count,
    kafkaBasePort: p.basePort,
    kafkaProxyBasePort: p.proxyBasePort,
    kafkaManaged: p.kafkaManaged,
    kafkaBrokers: p.kafkaBrokers,
    awsManaged: p.awsManaged,
    emulator: p.emulator,
    awsEndpoint: p.awsEndpoint,
    motoPort: p.motoPort,
    localstackPort: p.localstackPort,
    dynamodbManaged: p.dynamodbManaged,
    dynamodbEndpoint: p.dynamodbEndpoint,
    dynamodbPort: p.dynamodbPort,
    startedAt: new Date().toISOString(),
  });

  const started: { name: string; pid: number; stop: () => Promise<unknown> }[] = [];
  const alreadyRunning: string[] = [];
  const abort = new AbortController();
  try {
    // Start everything first, then wait for all of it: a start that throws leaves no wait behind.
    let kafkaWatch: { name: string; pid: number }[] = [];
    if (p.kafkaManaged) {
      const nodes = kafkaNodes(p.count, p.basePort, p.proxyBasePort);
      if (nodes.some((n) => runningPid(n) === undefined)) await prepareNodes(nodes, log);
      for (const node of nodes) {
        const result = await startNode(node, p.heap);
        if (result.started) {
          started.push({
            name: node.name,
            pid: result.pid,
            stop: () => stopNode(node, { graceMs: 5000 }),
          });
          log(`kafka: started node ${node.id} (pid ${result.pid}) on 127.0.0.1:${node.clientPort}`);
        } else {
          alreadyRunning.push(node.name);
        }
      }
      kafkaWatch = started.map(({ name, pid }) => ({ name, pid }));
    }
    let emulatorWatch: number | undefined;
    if (p.awsManaged) {
      const port = p.emulator === "moto" ? p.motoPort : p.localstackPort;
      const result = p.emulator === "moto" ? await startMoto(port) : await startLocalStack(port);
      if (result.started) {
        emulatorWatch = result.pid;
        started.push({
          name: p.emulator,
          pid: result.pid,
          stop: () => (p.emulator === "moto" ? stopMoto(port) : stopLocalStack(port)),
        });
        log(`${p.emulator}: started (pid ${result.pid}) on ${p.awsEndpoint}`);
      } else {
        alreadyRunning.push(p.emulator);
      }
    }
    let dynamodbWatch: number | undefined;
    if (p.dynamodbManaged) {
      const result = await startDynamoDb(p.dynamodbPort, p.dynamodbHeap);
      if (result.started) {
        dynamodbWatch = result.pid;
        started.push({
          name: "dynamodb",
          pid: result.pid,
          stop: () => stopDynamoDb(p.dynamodbPort),
        });
        log(`dynamodb: started DynamoDB Local (pid ${result.pid}) on ${p.dynamodbEndpoint}`);
      } else {
        alreadyRunning.push("dynamodb");
      }
    }
    const waits: Promise<unknown>[] = [
      p.kafkaManaged
        ? waitForBrokers(
            p.kafkaBrokers,
            kafkaNodes(p.count, p.basePort, p.proxyBasePort).map((n) => n.id),
            kafkaWatch,
            timeoutMs,
            abort.signal,
          )
        : waitForExternalKafka(p.kafkaBrokers, timeoutMs, abort.signal),
      !p.awsManaged
        ? waitForAwsEndpoint(p.awsEndpoint, Math.min(timeoutMs, 15_000), undefined, abort.signal)
        : p.emulator === "moto"
          ? waitForAwsEndpoint(p.awsEndpoint, timeoutMs, emulatorWatch, abort.signal)
          : waitForLocalStack(p.awsEndpoint, timeoutMs, emulatorWatch, abort.signal),
    ];
    if (p.dynamodbManaged) {
      waits.push(waitForDynamoDb(p.dynamodbEndpoint, timeoutMs, dynamodbWatch, abort.signal));
    } else if (separateExternalDynamoDb(p)) {
      waits.push(
        waitForDynamoDb(p.dynamodbEndpoint, Math.min(timeoutMs, 15_000), undefined, abort.signal),
      );
    }
    // The first failure stops the other waits; their own rejections are then of no interest.
    const guarded = waits.map((w) =>
      w.catch((error: unknown) => {
        abort.abort(error);
        throw error;
      }),
    );
    for (const g of guarded) g.catch(() => {});
    await Promise.all(guarded);
  } catch (error) {
    abort.abort(error);
    if (started.length > 0) {
      log(`stopping what this start began: ${started.map((s) => s.name).join(", ")}`);
      await Promise.all(started.map((s) => s.stop().catch(() => {})));
    }
    if (alreadyRunning.length === 0) clearState();
    throw error;
  }
  const durationMs = Date.now() - t0;
  log(
    `stack: up in ${(durationMs / 1000).toFixed(1)} s — Kafka ${p.kafkaBrokers.join(",")}` +
      `${p.kafkaManaged ? "" : " (external)"}, AWS ${p.awsEndpoint}${p.awsManaged ? ` (${emulatorName(p.emulator)})` : " (external)"}` +
      `, DynamoDB ${p.dynamodbEndpoint}${p.dynamodbManaged ? " (DynamoDB Local)" : " (external)"}`,
  );
  return {
    mode: modeOf(p.count),
    brokerCount: p.count,
    started: started.map((s) => s.name),
    alreadyRunning,
    installed,
    endpoints: localEndpoints(),
    durationMs,
  };
}

async function waitForExternalKafka(
  brokers: string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<KafkaProbe> {
  const deadline = Date.now() + Math.min(timeoutMs, 30_000);
  let last: KafkaProbe;
  do {
    signal.throwIfAborted();
    last = await probeKafka(brokers, 3000);
    if (last.ok) return last;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  throw new EndpointUnavailableError(
    brokers.join(","),
    `Kafka at ${brokers.join(",")} (DUPLEX_KAFKA_BROKERS) does not answer: ${last.error ?? "no brokers"}`,
    {
      hint: "start that Kafka (e.g. `docker compose up -d kafka`), or unset DUPLEX_KAFKA_BROKERS to let the stack run its own",
    },
  );
}

/**
 * Brings the local stack up: installs what is missing (Kafka's and DynamoDB Local's jars with
 * Maven, moto or LocalStack with pip, first run only), starts the Kafka node(s), the AWS emulator
 * (moto, or LocalStack with `emulator: "localstack"`) and DynamoDB Local unless already running,
 * and waits until an admin client sees every broker, moto answers HTTP (LocalStack: reports
 * events, sqs and cloudwatch running) and DynamoDB Local answers `ListTables`. Idempotent: a call
 * that finds everything running restarts nothing and returns in about a second; one that finds a
 * component missing starts only that one. Endpoints set by env that the stack does not manage are
 * only checked for readiness. A failed start stops what it started.
 *
 * @example
 * await stackUp({ emulator: "localstack" }); // Kafka, LocalStack and DynamoDB Local
 *
 * @throws {PrerequisiteError} java/mvn/python3 (Python 3.13 for LocalStack) missing.
 * @throws {PortInUseError} a port is held by another process.
 * @throws {InstallError} a first-run install failed.
 * @throws {StartupError} a component exited or was not ready in time (with its log tail).
 * @throws {StackStateError} the stack runs in another mode.
 * @throws {ConfigError} an env variable is unusable.
 */
export function stackUp(options: StackUpOptions = {}): Promise<StackUpResult> {
  return withStackLock(() => up(options), LOCK_TIMEOUT_MS);
}

/**
 * Installs what {@link stackUp} would start and is missing, and starts nothing. It takes no stack
 * lock (only each component's install lock), so it can run beside a stack that is up, e.g. CI
 * installing LocalStack while the tests run on moto.
 *
 * @returns what it installed (`kafka`, `dynamodb`, `moto`, `localstack`).
 * @throws {PrerequisiteError} a tool an install needs is missing.
 * @throws {InstallError} an install failed.
 */
export async function stackInstall(
  options: Pick<StackUpOptions, "emulator" | "log"> = {},
): Promise<string[]> {
  const log = options.log ?? stderrLog;
  // The emulator asked for, not the one running: installing never switches what runs.
  const env = readDuplexEnv();
  const emulator = options.emulator ?? env.emulator ?? "moto";
  const port = emulatorPort(env, emulator);
  const p: Plan = {
    count: env.brokerCount ?? 1,
    basePort: env.kafkaBasePort,
    proxyBasePort: env.kafkaProxyBasePort,
    heap: env.kafkaHeap,
    kafkaManaged: isManagedKafka(env.kafkaBrokers),
    kafkaBrokers: [],
    awsManaged: isManagedAwsEndpoint(env.awsEndpointUrl, port),
    emulator,
    awsEndpoint: env.awsEndpointUrl ?? emulatorEndpoint(port),
    motoPort: env.motoPort,
    localstackPort: env.localstackPort,
    dynamodbManaged: isManagedDynamoDb({ ...env, emulator }),
    dynamodbEndpoint: resolveDynamoDbEndpoint({ ...env, emulator }),
    dynamodbPort: env.dynamodbPort,
    dynamodbHeap: env.dynamodbHeap,
  };
  const installed = await installFor(p, log);
  log(installed.length > 0 ? `installed: ${installed.join(", ")}` : "everything was installed");
  return installed;
}

async function down(log: (line: string) => void): Promise<StackDownResult> {
  const state = readState();
  const env = readDuplexEnv();
  const stopped: StackDownResult["stopped"] = [];
  const tasks: Promise<void>[] = [];
  // Every Kafka JVM of this checkout, whatever the recorded mode.
  for (const pid of strayKafkaPids()) {
    tasks.push(
      stopProcessGroup(pid, { graceMs: 15_000 }).then((outcome) => {
        stopped.push({ name: "kafka", pid, outcome });
      }),
    );
  }
  const moto = motoPid();
  if (moto !== undefined) {
    tasks.push(
      stopProcessGroup(moto, { graceMs: 5000 }).then((outcome) => {
        stopped.push({ name: "moto", pid: moto, outcome });
      }),
    );
  }
  const localstack = localstackPid();
  if (localstack !== undefined) {
    tasks.push(
      stopProcessGroup(localstack, { graceMs: 15_000 }).then((outcome) => {
        stopped.push({ name: "localstack", pid: localstack, outcome });
      }),
    );
  }
  // Every DynamoDB Local JVM of this checkout.
  for (const pid of strayDynamoDbPids()) {
    tasks.push(
      stopProcessGroup(pid, { graceMs: 5000 }).then((outcome) => {
        stopped.push({ name: "dynamodb", pid, outcome });
      }),
    );
  }
  const proxy = toxiproxyPid();
  if (proxy !== undefined) {
    tasks.push(
      stopProcessGroup(proxy, { graceMs: 3000 }).then((outcome) => {
        stopped.push({ name: "toxiproxy", pid: proxy, outcome });
      }),
    );
  }
  await Promise.all(tasks);
  removePidFile(pidFile("toxiproxy"));
  for (const n of [1, 2, 3]) removePidFile(pidFile(`kafka-${n}`));
  removePidFile(pidFile("moto"));
  removePidFile(pidFile("localstack"));
  removePidFile(pidFile("dynamodb"));

  const basePort = state?.kafkaBasePort ?? env.kafkaBasePort;
  const count = state?.brokerCount ?? 3;
  const ports = [
    ...kafkaNodes(count, basePort, state?.kafkaProxyBasePort).flatMap((n) => [
      n.clientPort,
      n.controllerPort,
      n.proxiedPort,
    ]),
    ...(state?.awsManaged === false
      ? []
      : [
          state?.emulator === "localstack"
            ? (state.localstackPort ?? env.localstackPort)
            : (state?.motoPort ?? env.motoPort),
        ]),
    ...((state?.dynamodbManaged ?? isManagedDynamoDb(env))
      ? [state?.dynamodbPort ?? env.dynamodbPort]
      : []),
  ];
  const portsStillInUse: StackDownResult["portsStillInUse"] = [];
  for (const port of ports) {
    if (!(await waitPortFree(port, 10_000))) {
      const owner = portOwner(port);
      portsStillInUse.push({ port, ...(owner ?? {}) });
    }
  }
  clearState();
  for (const s of stopped) log(`${s.name}: pid ${s.pid} ${s.outcome}`);
  for (const p of portsStillInUse) {
    log(
      `warning: port ${p.port} is still in use${p.pid ? ` by pid ${p.pid} (${p.command})` : ""}, not by the stack`,
    );
  }
  log(stopped.length > 0 ? "stack: down" : "stack: was not running");
  return { stopped, portsStillInUse };
}

/**
 * Stops every Kafka node, moto or LocalStack and DynamoDB Local this checkout runs (by pid file, and by
 * searching the process table, so nothing is left behind even if `.duplex/run` was lost), waits
 * for their ports to be free, and forgets the state. External endpoints are left alone.
 */
export function stackDown(
  options: { log?: (line: string) => void } = {},
): Promise<StackDownResult> {
  return withStackLock(() => down(options.log ?? stderrLog), LOCK_TIMEOUT_MS);
}

/**
 * Reports each component: running, pid, ports, resident memory, readiness (an admin client's
 * metadata for Kafka, an HTTP answer for the AWS endpoint, a `ListTables` answer for DynamoDB).
 * Never starts anything.
 */
export async function stackStatus(): Promise<StackStatus> {
  const state = readState();
  const env = withRunningEmulator(readDuplexEnv(), state);
  const emulator = env.emulator;
  // The emulator asked for (DUPLEX_EMULATOR) may not be the one recorded: then it is not up.
  const recorded = state?.awsManaged && (state.emulator ?? "moto") === emulator ? state : undefined;
  const count = state?.brokerCount ?? env.brokerCount ?? 1;
  const basePort = state?.kafkaBasePort ?? env.kafkaBasePort;
  const kafkaManaged = state?.kafkaManaged ?? isManagedKafka(env.kafkaBrokers);
  const brokers = state?.kafkaBrokers ?? env.kafkaBrokers ?? managedBrokers(count, basePort);
  const port =
    (emulator === "moto" ? recorded?.motoPort : recorded?.localstackPort) ??
    emulatorPort(env, emulator);
  const awsManaged = state?.awsManaged ?? isManagedAwsEndpoint(env.awsEndpointUrl, port);
  const awsEndpoint =
    recorded?.awsEndpoint ??
    (awsManaged ? emulatorEndpoint(port) : (state?.awsEndpoint ?? env.awsEndpointUrl ?? ""));
  const dynamodbManaged = state?.dynamodbManaged ?? isManagedDynamoDb(env);
  const dynamodbEndpoint = state?.dynamodbEndpoint ?? resolveDynamoDbEndpoint(env);
  const dynamodbPort = state?.dynamodbPort ?? env.dynamodbPort;
  const components: ComponentStatus[] = [];

  if (kafkaManaged) {
    const nodes = kafkaNodeStatus(count, basePort);
    const live = nodes.filter((n) => n.pid !== undefined);
    const probe =
      live.length > 0
        ? await probeKafka(
            live.map((n) => `127.0.0.1:${n.clientPort}`),
            2000,
          )
        : { ok: false, brokerIds: [] as number[] };
    for (const node of nodes) {
      components.push({
        name: node.name,
        managed: true,
        running: node.pid !== undefined,
        ready: probe.brokerIds.includes(node.id),
        pid: node.pid,
        ports: [node.clientPort, node.controllerPort],
        rssBytes: node.rssBytes,
        endpoint: `127.0.0.1:${node.clientPort}`,
        logFile: node.logFile,
      });
    }
  } else {
    const probe = await probeKafka(brokers, 2000);
    components.push({
      name: "kafka",
      managed: false,
      running: probe.ok,
      ready: probe.ok,
      pid: undefined,
      ports: [],
      rssBytes: undefined,
      endpoint: brokers.join(","),
      logFile: undefined,
    });
  }

  const pid = awsManaged ? (emulator === "moto" ? motoPid() : localstackPid()) : undefined;
  let answered = false;
  let ready = false;
  if (!awsManaged || pid !== undefined) {
    if (awsManaged && emulator === "localstack") {
      const health = await probeLocalStack(awsEndpoint, 2000);
      answered = health.answered;
      ready = localstackReady(health);
    } else {
      answered = (await probeHttp(`${awsEndpoint}/`, 2000)) !== undefined;
      ready = answered;
    }
  }
  components.push({
    name: awsManaged ? emulator : "aws",
    managed: awsManaged,
    running: awsManaged ? pid !== undefined : answered,
    ready,
    pid,
    ports: awsManaged ? [port] : [],
    rssBytes: pid === undefined ? undefined : rssBytes(pid),
    endpoint: awsEndpoint,
    logFile: awsManaged ? logFile(emulator) : undefined,
  });

  if (dynamodbManaged) {
    const dynamodb = dynamodbPid();
    const ready = dynamodb !== undefined && (await probeDynamoDb(dynamodbEndpoint, 2000)).ok;
    components.push({
      name: "dynamodb",
      managed: true,
      running: dynamodb !== undefined,
      ready,
      pid: dynamodb,
      ports: [dynamodbPort],
      rssBytes: dynamodb === undefined ? undefined : rssBytes(dynamodb),
      endpoint: dynamodbEndpoint,
      logFile: logFile("dynamodb"),
    });
  } else if (separateExternalDynamoDb({ dynamodbManaged, dynamodbEndpoint, awsEndpoint })) {
    const probe = await probeDynamoDb(dynamodbEndpoint, 2000);
    components.push({
      name: "dynamodb",
      managed: false,
      running: probe.answered,
      ready: probe.ok,
      pid: undefined,
      ports: [],
      rssBytes: undefined,
      endpoint: dynamodbEndpoint,
      logFile: undefined,
    });
  }

  return {
    up: components.every((c) => c.ready),
    mode: modeOf(count),
    brokerCount: count,
    recorded: state !== undefined,
    components,
    endpoints: localEndpoints(),
  };
}

/**
 * Wipes the data and brings the stack up again, keeping the installs: Kafka's nodes are stopped
 * and their data (every topic, both modes) deleted; moto forgets every resource
 * (`POST /moto-api/reset`, or a fresh start if it was not running); LocalStack and DynamoDB Local
 * are restarted (they keep everything in memory only). External endpoints are not reset.
 */
export function stackReset(options: StackUpOptions = {}): Promise<StackUpResult> {
  const log = options.log ?? stderrLog;
  return withStackLock(async () => {
    const state = readState();
    const env = readDuplexEnv();
    const awsManaged = state?.awsManaged ?? true;
    const awsEndpoint = state?.awsEndpoint ?? env.awsEndpointUrl ?? "";
    const live = runningEmulator();
    if (awsManaged && live?.emulator === "moto") {
      await resetMoto(awsEndpoint);
      log("moto: reset (every resource forgotten)");
    } else if (awsManaged && live?.emulator === "localstack") {
      // LocalStack's community edition has no reset endpoint; it keeps everything in memory.
      await stopLocalStack(state?.localstackPort ?? env.localstackPort);
      log("localstack: stopped; it starts again empty (in memory)");
    } else if (!awsManaged) {
      log(`aws: ${awsEndpoint} is external; not resetting it`);
    }
    const dynamodbManaged = state?.dynamodbManaged ?? isManagedDynamoDb(env);
    if (dynamodbManaged && dynamodbPid() !== undefined) {
      await stopDynamoDb(state?.dynamodbPort ?? env.dynamodbPort);
      log("dynamodb: stopped; it starts again empty (in memory)");
    } else if (!dynamodbManaged) {
      const endpoint = state?.dynamodbEndpoint ?? resolveDynamoDbEndpoint(env);
      if (endpoint !== awsEndpoint) log(`dynamodb: ${endpoint} is external; not resetting it`);
    }
    const brokers = options.brokers ?? (state?.kafkaManaged ? state.brokerCount : undefined);
    for (const pid of strayKafkaPids()) await stopProcessGroup(pid, { graceMs: 15_000 });
    for (const n of [1, 2, 3]) {
      const pid = readPidFile(pidFile(`kafka-${n}`));
      if (pid !== undefined) removePidFile(pidFile(`kafka-${n}`));
    }
    for (const mode of ["single", "cluster"] as const)
      rmSync(modeDir(mode), { recursive: true, force: true });
    log("kafka: data wiped (all topics, both modes)");
    return up({ ...options, ...(brokers === undefined ? {} : { brokers }), log });
  }, LOCK_TIMEOUT_MS);
}
