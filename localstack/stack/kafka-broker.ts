/**
 * Kafka nodes as processes: format their storage, start them (`kafka.Kafka server.properties`,
 * 512 MB heap), wait until an admin client sees every broker, stop them, and — for fault tests —
 * stop or start one broker of the running stack by node id.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import { readDuplexEnv } from "./endpoints.ts";
import { InstallError, StackStateError, StartupError } from "./errors.ts";
import { type KafkaNode, kafkaNodes, modeDir, serverProperties } from "./kafka-config.ts";
import { kafkaClasspath } from "./kafka-install.ts";
import { duplexHome, logFile, paths, pidFile } from "./paths.ts";
import { ensurePortFree, waitPortFree } from "./ports.ts";
import { checkJava, javaCommand } from "./prerequisites.ts";
import {
  fileSize,
  findProcesses,
  isAlive,
  removePidFile,
  rssBytes,
  runLogged,
  spawnDetached,
  stopProcessGroup,
  tailFile,
  trackedPid,
} from "./processes.ts";
import { readState } from "./state.ts";

/** What one metadata request to the cluster said. */
export interface KafkaProbe {
  ok: boolean;
  clusterId?: string;
  controllerId?: number;
  /** Node ids of the brokers registered and unfenced. */
  brokerIds: number[];
  error?: string;
}

/** The command-line marker that identifies the JVM of `node` (this mode, this node) as ours. */
function marker(node: Pick<KafkaNode, "propertiesFile">): string {
  return `kafka.Kafka ${node.propertiesFile}`;
}

/** The `.out` file holding a node's JVM stdout/stderr (crashes before log4j starts). */
function outputFile(name: string): string {
  return join(paths.logs, `${name}.out`);
}

/** Where each node's log4j log stood when this process last started it. */
const logOffsets = new Map<string, number>();

/**
 * Log file and last lines of a node since this process started it, JVM stdout/stderr (which
 * holds the crashes that happen before logging starts) included when there is any.
 */
export function kafkaLogTail(name: string, lines = 40): { file: string; tail: string } {
  const log = logFile(name);
  const out = tailFile(outputFile(name), 20);
  const tail = tailFile(log, lines, logOffsets.get(name) ?? 0);
  const parts = [tail, ...(out ? [`---- ${outputFile(name)} (JVM stdout/stderr) ----`, out] : [])];
  return { file: log, tail: parts.filter(Boolean).join("\n") };
}

/** The pid of `node` if our JVM for it runs (pid file, else a search by marker). */
export function runningPid(node: Pick<KafkaNode, "name" | "propertiesFile">): number | undefined {
  return trackedPid(pidFile(node.name), marker(node));
}

/**
 * Asks the brokers for cluster metadata once.
 *
 * @param timeoutMs - connect/request timeout of this single attempt.
 */
export async function probeKafka(brokers: string[], timeoutMs = 3000): Promise<KafkaProbe> {
  const admin = new Admin({
    clientId: "duplex-stack-probe",
    bootstrapBrokers: brokers,
    timeout: timeoutMs,
    retries: false,
  });
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true });
    return {
      ok: true,
      clusterId: metadata.id,
      controllerId: metadata.controllerId,
      brokerIds: [...metadata.brokers.keys()].sort((a, b) => a - b),
    };
  } catch (error) {
    const inner = (error as { errors?: Error[] }).errors?.map((e) => e.message).join("; ");
    return { ok: false, brokerIds: [], error: inner || (error as Error).message };
  } finally {
    await admin.close().catch(() => {});
  }
}

function clusterIdFor(nodes: KafkaNode[]): string {
  const mode = nodes[0]?.mode ?? "single";
  const file = join(modeDir(mode), "cluster-id");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  // No id yet: whatever data exists for this mode belongs to no known cluster; start clean.
  rmSync(modeDir(mode), { recursive: true, force: true });
  mkdirSync(modeDir(mode), { recursive: true });
  // Kafka's Uuid.randomUuid(): 16 random bytes, URL-safe base64, never starting with '-'.
  let id = randomBytes(16).toString("base64url");
  while (id.startsWith("-")) id = randomBytes(16).toString("base64url");
  writeFileSync(file, `${id}\n`);
  return id;
}

/** JVM options for a broker (`component` set) or a one-off Kafka tool (`component` unset). */
function jvmArgs(logName: string, heap: string, component?: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
    `-XX:ErrorFile=${join(paths.logs, "hs_err_pid%p.log")}`,
    ...(component ? [`-Dduplex.component=${component}`, `-Dduplex.home=${duplexHome}`] : []),
    `-Dlog4j2.configurationFile=${paths.kafkaLog4j}`,
    `-Dkafka.logs.dir=${paths.logs}`,
    `-Dduplex.log.name=${logName}`,
    "-cp",
    kafkaClasspath(),
  ];
}

/**
 * Writes each node's `server.properties` and formats the storage of nodes that have none
 * (`kafka.tools.StorageTool format`, in parallel), all with the mode's cluster id.
 *
 * @throws {InstallError} with the format log's tail when formatting fails.
 */
export async function prepareNodes(nodes: KafkaNode[], log: (line: string) => void): Promise<void> {
  const clusterId = clusterIdFor(nodes);
  const java = javaCommand();
  const toFormat: KafkaNode[] = [];
  for (const node of nodes) {
    mkdirSync(node.dataDir, { recursive: true });
    writeFileSync(node.propertiesFile, serverProperties(node, nodes));
    if (!existsSync(join(node.dataDir, "meta.properties"))) toFormat.push(node);
  }
  if (toFormat.length === 0) return;
  log(
    `kafka: formatting storage of node(s) ${toFormat.map((n) => n.id).join(", ")} (cluster ${clusterId})`,
  );
  await Promise.all(
    toFormat.map(async (node) => {
      const formatLog = logFile(`format-${node.name}`);
      const result = await runLogged(
        java,
        [
          ...jvmArgs("kafka-tools", "256m"),
          "kafka.tools.StorageTool",
          "format",
          "-t",
          clusterId,
          "-c",
          node.propertiesFile,
          "--ignore-formatted",
        ],
        { cwd: node.dir, logFile: formatLog, timeoutMs: 120_000 },
      );
      if (result.code !== 0) {
        throw new InstallError(
          "kafka",
          `formatting the storage of Kafka node ${node.id} failed (exit ${result.code ?? result.signal})`,
          { file: formatLog, tail: tailFile(formatLog) },
          { hint: "run `npm run stack:reset` to wipe Kafka's data and format it again" },
        );
      }
    }),
  );
}

/**
 * Starts node `node` unless it already runs.
 *
 * @returns its pid, and whether this call started it.
 * @throws {PortInUseError} when a port of the node is held by another process.
 */
export async function startNode(
  node: KafkaNode,
  heap: string,
): Promise<{ pid: number; started: boolean }> {
  const running = runningPid(node);
  if (running !== undefined) return { pid: running, started: false };
  const fix =
    "or move the stack's Kafka ports with DUPLEX_KAFKA_PORT=<base> (node n uses base+2(n-1) and the next port)";
  await ensurePortFree(node.clientPort, fix);
  await ensurePortFree(node.controllerPort, fix);
  await ensurePortFree(
    node.proxiedPort,
    "or move the proxied listeners with DUPLEX_KAFKA_PROXY_PORT=<base> (node n uses base+2(n-1))",
  );
  mkdirSync(paths.logs, { recursive: true });
  writeFileSync(outputFile(node.name), "");
  logOffsets.set(node.name, fileSize(logFile(node.name)));
  const pid = await spawnDetached({
    command: javaCommand(),
    args: [...jvmArgs(node.name, heap, node.name), "kafka.Kafka", node.propertiesFile],
    cwd: node.dir,
    outputFile: outputFile(node.name),
    pidFile: pidFile(node.name),
  });
  return { pid, started: true };
}

/**
 * Waits until a metadata request lists every node of `expectIds`, failing fast (with the log
 * tail) when a watched process exits.
 *
 * @throws {StartupError} when a node exits or `timeoutMs` passes.
 */
export async function waitForBrokers(
  brokers: string[],
  expectIds: number[],
  watch: { name: string; pid: number }[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<KafkaProbe> {
  const deadline = Date.now() + timeoutMs;
  let last: KafkaProbe = { ok: false, brokerIds: [] };
  for (;;) {
    signal?.throwIfAborted();
    for (const w of watch) {
      if (!isAlive(w.pid)) {
        throw new StartupError(
          w.name,
          `Kafka node ${w.name} (pid ${w.pid}) exited during start-up`,
          kafkaLogTail(w.name),
          { hint: "read the log above; `npm run stack:reset` wipes Kafka's data if it is corrupt" },
        );
      }
    }
    last = await probeKafka(brokers, Math.max(500, Math.min(3000, deadline - Date.now())));
    if (last.ok && expectIds.every((id) => last.brokerIds.includes(id))) return last;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const missing = expectIds.filter((id) => !last.brokerIds.includes(id));
  const culprit = `kafka-${missing[0] ?? expectIds[0] ?? 1}`;
  throw new StartupError(
    culprit,
    `Kafka did not report broker(s) ${missing.join(", ")} within ${Math.round(timeoutMs / 1000)} s` +
      (last.error ? ` (last error: ${last.error})` : ""),
    kafkaLogTail(culprit),
    { hint: "a slow machine may need a longer --timeout; otherwise read the log above" },
  );
}

/**
 * Stops node `name` (SIGTERM, then SIGKILL after `graceMs`; SIGKILL at once when `hard`) and
 * waits for its ports to be released.
 */
export async function stopNode(
  node: KafkaNode,
  options: { hard?: boolean; graceMs?: number } = {},
): Promise<"not-running" | "stopped" | "killed"> {
  const pid = runningPid(node);
  let outcome: "not-running" | "stopped" | "killed" = "not-running";
  if (pid !== undefined) outcome = await stopProcessGroup(pid, options);
  removePidFile(pidFile(node.name));
  if (outcome !== "not-running") {
    await waitPortFree(node.clientPort, 5000);
    await waitPortFree(node.controllerPort, 5000);
  }
  return outcome;
}

/** A node's process facts, for `status`. */
export interface KafkaNodeStatus {
  name: string;
  id: number;
  pid: number | undefined;
  clientPort: number;
  controllerPort: number;
  rssBytes: number | undefined;
  logFile: string;
}

/** Process facts of every node of the stack described by `count`/`basePort`. */
export function kafkaNodeStatus(count: 1 | 3, basePort: number): KafkaNodeStatus[] {
  return kafkaNodes(count, basePort).map((node) => {
    const pid = runningPid(node);
    return {
      name: node.name,
      id: node.id,
      pid,
      clientPort: node.clientPort,
      controllerPort: node.controllerPort,
      rssBytes: pid === undefined ? undefined : rssBytes(pid),
      logFile: logFile(node.name),
    };
  });
}

/** Every Kafka JVM of this checkout, whatever its pid file says (for `down`). */
export function strayKafkaPids(): number[] {
  return findProcesses(`-Dduplex.home=${duplexHome}`)
    .filter((p) => p.command.includes("kafka.Kafka"))
    .map((p) => p.pid);
}

function runningNode(id: number): { node: KafkaNode; brokers: string[]; heap: string } {
  const state = readState();
  if (!state?.kafkaManaged) {
    throw new StackStateError("the local stack is not running its own Kafka", {
      hint: "run `npm run stack:up -- --brokers 3` first (and leave DUPLEX_KAFKA_BROKERS unset)",
    });
  }
  const node = kafkaNodes(state.brokerCount, state.kafkaBasePort, state.kafkaProxyBasePort).find(
    (n) => n.id === id,
  );
  if (!node) {
    throw new StackStateError(
      `there is no Kafka node ${id}: the stack runs node id(s) 1${state.brokerCount === 3 ? "-3" : ""}`,
    );
  }
  return { node, brokers: state.kafkaBrokers, heap: readDuplexEnv().kafkaHeap };
}

/**
 * Stops one broker of the running stack, for fault tests. The others keep running.
 *
 * @param id - node id, 1-3 in cluster mode.
 * @param options.hard - SIGKILL at once (a crash) instead of a clean shutdown.
 * @throws {StackStateError} when the stack is not up or has no such node.
 */
export async function stopBroker(id: number, options: { hard?: boolean } = {}): Promise<void> {
  const { node } = runningNode(id);
  await stopNode(node, options);
}

/**
 * Starts one stopped broker of the running stack again and waits until it answers itself and
 * lists itself. Asking the other brokers is not enough: with the controller quorum lost (2 of 3
 * combined nodes killed) nobody fences the dead ones, so the survivors list them all along.
 *
 * @throws {StackStateError} when the stack is not up or has no such node.
 * @throws {StartupError} when it exits or is not listed within `timeoutMs`.
 */
export async function startBroker(id: number, options: { timeoutMs?: number } = {}): Promise<void> {
  const { node, heap } = runningNode(id);
  checkJava();
  if (!existsSync(join(node.dataDir, "meta.properties")) || !existsSync(node.propertiesFile)) {
    throw new StackStateError(`Kafka node ${id} has no formatted storage`, {
      hint: "run `npm run stack:reset` to set the stack up again",
    });
  }
  const { pid } = await startNode(node, heap);
  const own = [`127.0.0.1:${node.clientPort}`];
  await waitForBrokers(own, [id], [{ name: node.name, pid }], options.timeoutMs ?? 120_000);
}
