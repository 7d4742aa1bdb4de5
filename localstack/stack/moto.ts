/**
 * moto in server mode, the default AWS API emulator: installed once into the project-local
 * virtualenv `.duplex/venv` from the pinned `localstack/moto/requirements.txt`, started as
 * `moto_server -H 127.0.0.1 -p 5000`, ready when it answers HTTP, reset with
 * `POST /moto-api/reset`.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EndpointUnavailableError, InstallError, StartupError } from "./errors.ts";
import { contentHash, installedWith, installVirtualenv, markInstalled } from "./installs.ts";
import { logFile, paths, pidFile } from "./paths.ts";
import { ensurePortFree, waitPortFree } from "./ports.ts";
import { checkPython } from "./prerequisites.ts";
import {
  isAlive,
  removePidFile,
  spawnDetached,
  stopProcessGroup,
  tailFile,
  trackedPid,
} from "./processes.ts";

const motoServer = join(paths.venv, "bin", "moto_server");
const venvPython = join(paths.venv, "bin", "python");

function requirementsHash(): string {
  return contentHash(paths.motoRequirements);
}

/** True when `.duplex/venv` holds moto as pinned now, and its Python still runs. */
export function motoInstalled(): boolean {
  if (!installedWith(paths.venv, requirementsHash())) return false;
  return (
    existsSync(motoServer) && spawnSync(venvPython, ["-c", ""], { timeout: 20_000 }).status === 0
  );
}

/**
 * Creates `.duplex/venv` and pip-installs the pinned moto, unless already done.
 *
 * @returns true when it installed.
 * @throws {PrerequisiteError} when python3 (with venv) is missing.
 * @throws {InstallError} with the tail of `.duplex/logs/install-moto.log` when a step fails.
 */
export async function installMoto(
  log: (line: string) => void = () => {},
  timeoutMs = 15 * 60_000,
): Promise<boolean> {
  if (motoInstalled()) return false;
  const python = checkPython();
  log(
    `moto: creating .duplex/venv with Python ${python.version} and installing moto (first run only)…`,
  );
  await installVirtualenv({
    component: "moto",
    python: "python3",
    venv: paths.venv,
    requirements: paths.motoRequirements,
    logFile: logFile("install-moto"),
    timeoutMs,
  });
  if (!existsSync(motoServer)) {
    throw new InstallError(
      "moto",
      "pip installed the requirements, but .duplex/venv/bin/moto_server is missing",
      { file: logFile("install-moto"), tail: tailFile(logFile("install-moto")) },
    );
  }
  markInstalled(paths.venv, requirementsHash());
  log("moto: installed into .duplex/venv");
  return true;
}

/** Sends one HTTP request; resolves with the status, or `undefined` if nothing answered. */
export async function probeHttp(
  url: string,
  timeoutMs = 2000,
  method = "GET",
): Promise<number | undefined> {
  try {
    const response = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  }
}

/** The pid of our moto server, if it runs. */
export function motoPid(): number | undefined {
  return trackedPid(pidFile("moto"), motoServer);
}

/**
 * Starts moto on 127.0.0.1:`port` unless it already runs.
 *
 * @throws {PortInUseError} when another process holds the port.
 */
export async function startMoto(port: number): Promise<{ pid: number; started: boolean }> {
  const running = motoPid();
  if (running !== undefined) return { pid: running, started: false };
  await ensurePortFree(
    port,
    `or run moto elsewhere with DUPLEX_MOTO_PORT=<port>, or point AWS_ENDPOINT_URL at an emulator that is already running`,
  );
  const out = logFile("moto");
  writeFileSync(out, "");
  const pid = await spawnDetached({
    command: motoServer,
    args: ["-H", "127.0.0.1", "-p", String(port)],
    cwd: paths.home,
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
    outputFile: out,
    pidFile: pidFile("moto"),
  });
  return { pid, started: true };
}

/**
 * Waits until `endpoint` answers HTTP (any status). With `watchPid`, fails fast when that
 * process exits.
 *
 * @throws {StartupError} for our moto (exited, or not ready in time).
 * @throws {EndpointUnavailableError} for an external endpoint that does not answer.
 */
export async function waitForAwsEndpoint(
  endpoint: string,
  timeoutMs: number,
  watchPid?: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (watchPid !== undefined && !isAlive(watchPid)) {
      throw new StartupError("moto", `moto (pid ${watchPid}) exited during start-up`, {
        file: logFile("moto"),
        tail: tailFile(logFile("moto")),
      });
    }
    const status = await probeHttp(
      `${endpoint}/`,
      Math.max(300, Math.min(2000, deadline - Date.now())),
    );
    if (status !== undefined) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (watchPid !== undefined) {
    throw new StartupError(
      "moto",
      `moto did not answer on ${endpoint} within ${Math.round(timeoutMs / 1000)} s`,
      { file: logFile("moto"), tail: tailFile(logFile("moto")) },
    );
  }
  throw new EndpointUnavailableError(
    endpoint,
    `the AWS endpoint ${endpoint} (AWS_ENDPOINT_URL) does not answer`,
    {
      hint: "start that emulator (e.g. `docker compose up -d localstack`), or unset AWS_ENDPOINT_URL to let the stack run moto",
    },
  );
}

/** Stops our moto server and waits for its port to be free. */
export async function stopMoto(port: number): Promise<"not-running" | "stopped" | "killed"> {
  const pid = motoPid();
  let outcome: "not-running" | "stopped" | "killed" = "not-running";
  if (pid !== undefined) outcome = await stopProcessGroup(pid, { graceMs: 5000 });
  removePidFile(pidFile("moto"));
  if (outcome !== "not-running") await waitPortFree(port, 5000);
  return outcome;
}

/**
 * Forgets every resource moto holds (`POST /moto-api/reset`).
 *
 * @throws {EndpointUnavailableError} when moto does not accept the reset.
 */
export async function resetMoto(endpoint: string): Promise<void> {
  const status = await probeHttp(`${endpoint}/moto-api/reset`, 10_000, "POST");
  if (status === undefined || status >= 300) {
    throw new EndpointUnavailableError(
      endpoint,
      `moto at ${endpoint} did not accept POST /moto-api/reset (${status ?? "no answer"})`,
    );
  }
}
