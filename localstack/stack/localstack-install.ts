/**
 * LocalStack's install: its own virtualenv `.duplex/localstack/venv` (never moto's shared
 * `.duplex/venv`), made with Python 3.13+ ({@link checkLocalStackPython}) and filled from the
 * pinned `localstack/localstack/requirements.txt` on first use; reused while the requirements'
 * hash matches the `.installed` marker.
 *
 * The venv is made in place rather than in a staging folder: a virtualenv is not relocatable
 * (its scripts carry its absolute path), and the marker, written last, already tells a finished
 * install from an interrupted one.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { InstallError } from "./errors.ts";
import { contentHash, installedWith, installVirtualenv, markInstalled } from "./installs.ts";
import { withInstallLock } from "./lock.ts";
import { logFile, paths, repoRoot } from "./paths.ts";
import { checkLocalStackPython } from "./prerequisites.ts";
import { runLogged, tailFile } from "./processes.ts";

/** The venv's interpreter; its command line also identifies our LocalStack process. */
export const localstackPython = join(paths.localstackVenv, "bin", "python");

/** The LocalStack version the requirements pin (`localstack-core==…`). */
export const LOCALSTACK_VERSION = "4.14.0";

const INSTALL_TIMEOUT_MS = 25 * 60_000;

function requirementsHash(): string {
  return contentHash(paths.localstackRequirements);
}

/** True when `.duplex/localstack/venv` holds LocalStack as pinned now, and its Python still runs. */
export function localstackInstalled(): boolean {
  if (!installedWith(paths.localstackVenv, requirementsHash())) return false;
  return spawnSync(localstackPython, ["-c", ""], { timeout: 20_000 }).status === 0;
}

/**
 * Makes `.duplex/localstack/venv` and pip-installs the pinned LocalStack, unless already done.
 * Holds the install lock of `localstack`, so a concurrent install (e.g. CI's background
 * `stack:install`) is waited for rather than raced.
 *
 * @returns true when it installed.
 * @throws {PrerequisiteError} when no Python 3.13+ with venv is found.
 * @throws {InstallError} with the tail of `.duplex/logs/install-localstack.log` when a step fails.
 *
 * @example
 * await installLocalStack(console.log); // false when already installed
 */
export function installLocalStack(
  log: (line: string) => void = () => {},
  timeoutMs = INSTALL_TIMEOUT_MS,
): Promise<boolean> {
  if (localstackInstalled()) return Promise.resolve(false);
  return withInstallLock("localstack", () => install(log, timeoutMs), timeoutMs + 60_000);
}

async function install(log: (line: string) => void, timeoutMs: number): Promise<boolean> {
  if (localstackInstalled()) return false; // another process finished it while we waited
  const python = checkLocalStackPython();
  const logPath = logFile("install-localstack");
  log(
    `localstack: creating .duplex/localstack/venv with Python ${python.version} (${python.command}) and installing LocalStack ${LOCALSTACK_VERSION} (first run only; 80-odd packages)…`,
  );
  await installVirtualenv({
    component: "localstack",
    python: python.command,
    venv: paths.localstackVenv,
    requirements: paths.localstackRequirements,
    logFile: logPath,
    timeoutMs,
  });
  // Only the metadata: importing localstack would read its configuration (and, in a container,
  // pick directories outside .duplex) before the start sets it.
  const check = await runLogged(
    localstackPython,
    [
      "-c",
      "import importlib.metadata as m; print('localstack-core', m.version('localstack-core'))",
    ],
    { cwd: repoRoot, logFile: logPath, timeoutMs: 120_000 },
  );
  if (check.code !== 0) {
    throw new InstallError(
      "localstack",
      `the new venv has no localstack-core (exit ${check.code})`,
      { file: logPath, tail: tailFile(logPath) },
    );
  }
  markInstalled(paths.localstackVenv, requirementsHash());
  log(`localstack: installed into .duplex/localstack/venv`);
  return true;
}
