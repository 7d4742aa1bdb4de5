/**
 * What the stack's installers (Kafka's jars, DynamoDB Local, moto, LocalStack) share: an install
 * marker holding the hash of the files it was made from, a staging folder renamed into place,
 * Maven's `copy-dependencies`, and a virtualenv filled from a pinned requirements file.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InstallError } from "./errors.ts";
import { repoRoot, shortPath } from "./paths.ts";
import { type RunResult, runLogged, tailFile } from "./processes.ts";

const MARKER = ".installed";

/** SHA-256 of the files an install is made from (a pom, a requirements file, a source). */
export function contentHash(...files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const file of files) hash.update(readFileSync(file));
  return hash.digest("hex");
}

/** True when `dir` holds an install made from the files that hash to `hash` now. */
export function installedWith(dir: string, hash: string): boolean {
  try {
    return readFileSync(join(dir, MARKER), "utf8").trim() === hash;
  } catch {
    return false;
  }
}

/** Records in `dir` that it was installed from files hashing to `hash`. */
export function markInstalled(dir: string, hash: string): void {
  writeFileSync(join(dir, MARKER), `${hash}\n`);
}

/**
 * A fresh staging folder `<target>.tmp-<pid>` next to `target`, after removing what interrupted
 * installs (any pid) left there.
 */
export function freshStaging(target: string): string {
  const parent = dirname(target);
  const prefix = `${basename(target)}.tmp-`;
  mkdirSync(parent, { recursive: true });
  for (const entry of readdirSync(parent)) {
    if (entry.startsWith(prefix)) rmSync(join(parent, entry), { recursive: true, force: true });
  }
  return `${target}.tmp-${process.pid}`;
}

/** Marks a finished staging folder installed and puts it in place of `target`. */
export function promoteStaging(staging: string, target: string, hash: string): void {
  markInstalled(staging, hash);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
}

/** `mvn dependency:copy-dependencies` of `pom` (runtime scope) into `outputDir`. */
export function copyDependencies(
  pom: string,
  outputDir: string,
  options: { readonly logFile: string; readonly timeoutMs: number },
): Promise<RunResult> {
  return runLogged(
    "mvn",
    [
      "-B",
      "-q",
      "-f",
      pom,
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${outputDir}`,
    ],
    { cwd: dirname(pom), ...options },
  );
}

/**
 * Makes the virtualenv `venv` afresh with `python` and pip-installs `requirements` into it, with
 * every step's output in `logFile`. The caller writes the install marker once it is satisfied.
 * (A virtualenv is not relocatable, so it is made in place, not in a staging folder.)
 *
 * @throws {InstallError} naming `component` and the failed step, with the log's tail.
 */
export async function installVirtualenv(options: {
  readonly component: string;
  readonly python: string;
  readonly venv: string;
  readonly requirements: string;
  readonly logFile: string;
  readonly timeoutMs: number;
}): Promise<void> {
  const { component, python, venv, requirements, logFile, timeoutMs } = options;
  const fail = (step: string, result: RunResult) =>
    new InstallError(
      component,
      result.timedOut
        ? `${step} did not finish within ${Math.round(timeoutMs / 1000)} s`
        : `${step} failed (exit ${result.code})`,
      { file: logFile, tail: tailFile(logFile) },
      {
        hint: "check that PyPI is reachable (pip honours PIP_INDEX_URL and proxy settings), then run the command again",
      },
    );
  rmSync(venv, { recursive: true, force: true });
  const made = await runLogged(python, ["-m", "venv", venv], {
    cwd: repoRoot,
    logFile,
    timeoutMs: 120_000,
  });
  if (made.code !== 0) throw fail(`${python} -m venv ${shortPath(venv)}`, made);
  const pip = await runLogged(
    join(venv, "bin", "python"),
    [
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "--no-input",
      "--quiet",
      "-r",
      requirements,
    ],
    { cwd: repoRoot, logFile, timeoutMs },
  );
  if (pip.code !== 0) throw fail(`pip install -r ${shortPath(requirements)}`, pip);
}
