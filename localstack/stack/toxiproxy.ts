/**
 * Toxiproxy (Shopify's TCP proxy for simulating network conditions) between the clients and the
 * Kafka brokers, for the proxy drills. Built once from the Go module proxy with `go install` into
 * `.duplex/toxiproxy/`, started on demand (`toxiproxy-server -host 127.0.0.1 -port
 * <DUPLEX_TOXIPROXY_PORT>`), driven through its HTTP API. Each broker has a PROXIED listener
 * advertised as the proxy's address (`kafka-config.ts`): a client that bootstraps from the proxy
 * is told only proxy addresses, so all its traffic goes through it.
 *
 * @module
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { proxiedBrokers, readDuplexEnv } from "./endpoints.ts";
import { EndpointUnavailableError, InstallError, StackStateError, StartupError } from "./errors.ts";
import { freshStaging, installedWith, promoteStaging } from "./installs.ts";
import { kafkaNodes } from "./kafka-config.ts";
import { logFile, paths, pidFile, repoRoot } from "./paths.ts";
import { ensurePortFree, waitPortFree } from "./ports.ts";
import { checkGo } from "./prerequisites.ts";
import {
  isAlive,
  removePidFile,
  runLogged,
  spawnDetached,
  stopProcessGroup,
  tailFile,
  trackedPid,
} from "./processes.ts";
import { readState } from "./state.ts";

/** The Toxiproxy release the stack builds (a Go module version). */
export const TOXIPROXY_VERSION = "v2.12.0";
const MODULE = "github.com/Shopify/toxiproxy/v2/cmd/server";
const binary = join(paths.toxiproxyHome, "bin", "toxiproxy-server");

/** True when `.duplex/toxiproxy` holds the pinned Toxiproxy. */
export function toxiproxyInstalled(): boolean {
  return installedWith(paths.toxiproxyHome, TOXIPROXY_VERSION) && existsSync(binary);
}

/**
 * Builds Toxiproxy with `go install <module>@<version>` into `.duplex/toxiproxy/bin`, unless done.
 *
 * @returns true when it installed.
 * @throws {PrerequisiteError} when `go` is missing.
 * @throws {InstallError} with the tail of `.duplex/logs/install-toxiproxy.log` when the build fails.
 */
export async function installToxiproxy(
  log: (line: string) => void = () => {},
  timeoutMs = 20 * 60_000,
): Promise<boolean> {
  if (toxiproxyInstalled()) return false;
  checkGo();
  const logPath = logFile("install-toxiproxy");
  log(`toxiproxy: building ${MODULE}@${TOXIPROXY_VERSION} with go install (first use only)…`);
  const staging = freshStaging(paths.toxiproxyHome);
  mkdirSync(join(staging, "bin"), { recursive: true });
  const result = await runLogged("go", ["install", `${MODULE}@${TOXIPROXY_VERSION}`], {
    cwd: repoRoot,
    logFile: logPath,
    timeoutMs,
    // GOTOOLCHAIN=local: build with the Go on this machine, never download another toolchain.
    env: { ...process.env, GOBIN: join(staging, "bin"), GOTOOLCHAIN: "local", GOFLAGS: "" },
  });
  const built = join(staging, "bin", "server");
  if (result.code !== 0 || !existsSync(built)) {
    rmSync(staging, { recursive: true, force: true });
    throw new InstallError(
      "toxiproxy",
      result.timedOut
        ? `go install ${MODULE}@${TOXIPROXY_VERSION} did not finish within ${Math.round(timeoutMs / 1000)} s`
        : `go install ${MODULE}@${TOXIPROXY_VERSION} failed (exit ${result.code})`,
      { file: logPath, tail: tailFile(logPath) },
      {
        hint: "check that the Go module proxy is reachable (go honours GOPROXY and proxy settings), then run the command again",
      },
    );
  }
  renameSync(built, join(staging, "bin", "toxiproxy-server"));
  promoteStaging(staging, paths.toxiproxyHome, TOXIPROXY_VERSION);
  log(`toxiproxy: installed into .duplex/toxiproxy (${TOXIPROXY_VERSION})`);
  return true;
}

/** The pid of our Toxiproxy, if it runs. */
export function toxiproxyPid(): number | undefined {
  return trackedPid(pidFile("toxiproxy"), binary);
}

/** The URL of Toxiproxy's API. */
export function toxiproxyUrl(port: number = readDuplexEnv().toxiproxyPort): string {
  return `http://127.0.0.1:${port}`;
}

/**
 * Installs (first use) and starts Toxiproxy unless it runs, and waits for its API.
 *
 * @throws {PortInUseError} when another process holds the API port.
 * @throws {StartupError} when it exits or does not answer within 30 s.
 */
export async function startToxiproxy(
  log: (line: string) => void = () => {},
): Promise<{ pid: number; started: boolean; url: string }> {
  const port = readDuplexEnv().toxiproxyPort;
  const url = toxiproxyUrl(port);
  const running = toxiproxyPid();
  if (running !== undefined) return { pid: running, started: false, url };
  await installToxiproxy(log);
  await ensurePortFree(port, "or move Toxiproxy's API with DUPLEX_TOXIPROXY_PORT=<port>");
  const out = logFile("toxiproxy");
  writeFileSync(out, "");
  const pid = await spawnDetached({
    command: binary,
    args: ["-host", "127.0.0.1", "-port", String(port)],
    cwd: paths.home,
    outputFile: out,
    pidFile: pidFile("toxiproxy"),
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!isAlive(pid)) {
      throw new StartupError("toxiproxy", `toxiproxy (pid ${pid}) exited during start-up`, {
        file: out,
        tail: tailFile(out),
      });
    }
    try {
      const response = await fetch(`${url}/version`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new StartupError("toxiproxy", `toxiproxy did not answer on ${url} within 30 s`, {
        file: out,
        tail: tailFile(out),
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`toxiproxy: started (pid ${pid}), API on ${url}`);
  return { pid, started: true, url };
}

/** Stops our Toxiproxy (every proxy closes its connections). */
export async function stopToxiproxy(): Promise<"not-running" | "stopped" | "killed"> {
  const pid = toxiproxyPid();
  let outcome: "not-running" | "stopped" | "killed" = "not-running";
  if (pid !== undefined) outcome = await stopProcessGroup(pid, { graceMs: 3000 });
  removePidFile(pidFile("toxiproxy"));
  if (outcome !== "not-running") await waitPortFree(readDuplexEnv().toxiproxyPort, 5000);
  return outcome;
}

/** A toxic (Toxiproxy's word for a network condition on one direction of a proxy). */
export interface Toxic {
  readonly name: string;
  /** `latency`, `timeout`, `reset_peer`, `bandwidth`, `slow_close`, `slicer`, `limit_data`. */
  readonly type: string;
  /** `downstream` (broker → client) or `upstream` (client → broker). */
  readonly stream: "upstream" | "downstream";
  /** Share of connections it applies to (1 = all). */
  readonly toxicity?: number;
  readonly attributes: Readonly<Record<string, number>>;
}

/**
 * Toxiproxy's HTTP API.
 *
 * @example
 * ```ts
 * const proxy = new ToxiproxyClient(toxiproxyUrl());
 * await proxy.addToxic("kafka-1", { name: "slow", type: "latency", stream: "downstream",
 *   attributes: { latency: 200, jitter: 50 } });
 * ```
 */
export class ToxiproxyClient {
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.#url}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new EndpointUnavailableError(
        this.#url,
        `Toxiproxy at ${this.#url} does not answer ${method} ${path}: ${(error as Error).message}`,
        {
          hint: "start it with the drill runner (npm run drill -- proxy-latency), or check DUPLEX_TOXIPROXY_PORT",
        },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new EndpointUnavailableError(
        this.#url,
        `Toxiproxy ${method} ${path} answered ${response.status}: ${text.trim()}`,
      );
    }
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  }

  /** Creates or replaces proxies (`POST /populate`). */
  async populate(
    proxies: readonly { name: string; listen: string; upstream: string }[],
  ): Promise<void> {
    await this.#call(
      "POST",
      "/populate",
      proxies.map((p) => ({ ...p, enabled: true })),
    );
  }

  /** Enables every proxy and removes every toxic (`POST /reset`). */
  async reset(): Promise<void> {
    await this.#call("POST", "/reset");
  }

  /** Disabling a proxy closes its connections and refuses new ones. */
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.#call("POST", `/proxies/${proxy}`, { enabled });
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    await this.#call("POST", `/proxies/${proxy}/toxics`, { toxicity: 1, ...toxic });
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.#call("DELETE", `/proxies/${proxy}/toxics/${name}`);
  }
}

/** The proxies in front of the running stack's brokers, and the bootstrap list through them. */
export interface KafkaProxies {
  readonly client: ToxiproxyClient;
  /** Proxy names, `kafka-<node id>`. */
  readonly names: readonly string[];
  /** Bootstrap brokers through the proxies (what a drill's clients use). */
  readonly brokers: readonly string[];
}

/**
 * Starts Toxiproxy (installing it on first use) and puts one proxy, with no toxic, in front of
 * each broker of the running stack.
 *
 * @throws {StackStateError} when the stack does not run its own Kafka.
 */
export async function kafkaProxies(log: (line: string) => void = () => {}): Promise<KafkaProxies> {
  const state = readState();
  if (!state?.kafkaManaged) {
    throw new StackStateError("the proxy drills need the stack's own Kafka, and it is not up", {
      hint: "run `npm run stack:up` first (and leave DUPLEX_KAFKA_BROKERS unset)",
    });
  }
  const { url } = await startToxiproxy(log);
  const client = new ToxiproxyClient(url);
  const proxyBase = state.kafkaProxyBasePort ?? state.kafkaBasePort + 6;
  const nodes = kafkaNodes(state.brokerCount, state.kafkaBasePort, proxyBase);
  await client.populate(
    nodes.map((node) => ({
      name: node.name,
      listen: `127.0.0.1:${node.proxyPort}`,
      upstream: `127.0.0.1:${node.proxiedPort}`,
    })),
  );
  await client.reset();
  return {
    client,
    names: nodes.map((n) => n.name),
    brokers: proxiedBrokers(state.brokerCount, proxyBase),
  };
}
