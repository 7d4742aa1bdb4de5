import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPOSITORY_ROOT } from "./support.ts";

/**
 * cfn-lint from the project-local virtualenv `.duplex/venv` (shared with the local stack's moto),
 * installed on first use from the pinned `test/infra/requirements.txt`, so `npm test` works on a
 * fresh machine with Python 3 and PyPI (or a mirror pip is configured for).
 */

const VENV = join(REPOSITORY_ROOT, ".duplex", "venv");
const REQUIREMENTS = join(REPOSITORY_ROOT, "test", "infra", "requirements.txt");
const BIN = join(VENV, "bin", "cfn-lint");

/** The cfn-lint version the requirements pin. */
export function pinnedCfnLintVersion(): string {
  const match = /^cfn-lint==([\w.]+)$/m.exec(readFileSync(REQUIREMENTS, "utf8"));
  if (!match?.[1]) throw new Error(`${REQUIREMENTS} does not pin cfn-lint`);
  return match[1];
}

function installedVersion(): string | undefined {
  if (!existsSync(BIN)) return undefined;
  const result = spawnSync(BIN, ["--version"], { encoding: "utf8", timeout: 60_000 });
  return /cfn-lint ([\w.]+)/.exec(result.stdout ?? "")?.[1];
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 15 * 60_000 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${result.status}): ${(result.stderr || result.stdout || String(result.error)).slice(-2000)}`,
    );
  }
}

/** The path of a cfn-lint binary at the pinned version, installing it if needed. */
export function ensureCfnLint(): string {
  const pinned = pinnedCfnLintVersion();
  if (installedVersion() === pinned) return BIN;
  if (!existsSync(join(VENV, "bin", "python"))) run("python3", ["-m", "venv", VENV]);
  run(join(VENV, "bin", "python"), [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--no-input",
    "--quiet",
    "-r",
    REQUIREMENTS,
  ]);
  const installed = installedVersion();
  if (installed !== pinned)
    throw new Error(`cfn-lint ${pinned} expected in ${VENV}, found ${installed ?? "none"}`);
  return BIN;
}

/** One cfn-lint finding (its JSON output format). */
export interface CfnLintFinding {
  readonly Filename: string;
  readonly Level: "Error" | "Warning" | "Informational";
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path?: readonly (string | number)[] };
}

/**
 * Lints templates for the given regions.
 *
 * @returns every finding (errors, warnings and informational).
 */
export function cfnLint(
  templates: readonly string[],
  regions: readonly string[],
): CfnLintFinding[] {
  const bin = ensureCfnLint();
  const result = spawnSync(bin, ["--format", "json", "--regions", ...regions, "--", ...templates], {
    encoding: "utf8",
    timeout: 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  // Exit codes are a bit field of the levels found (2 errors, 4 warnings, 8 informational).
  if (result.status === null || (result.status & 1) === 1) {
    throw new Error(`cfn-lint failed to run: ${result.stderr || String(result.error)}`);
  }
  return JSON.parse(result.stdout || "[]") as CfnLintFinding[];
}

/** The CloudFormation registry schema of a resource type, as cfn-lint ships it (us-east-1). */
export function cfnResourceSchema(type: string): {
  readonly createOnlyProperties?: readonly string[];
} {
  ensureCfnLint();
  const lib = join(VENV, "lib");
  const python = readdirSync(lib).find((d) => d.startsWith("python"));
  if (python === undefined) throw new Error(`no python lib folder in ${lib}`);
  const schemas = join(lib, python, "site-packages", "cfnlint", "data", "schemas");
  const providers = JSON.parse(
    readFileSync(join(schemas, "providers", "us-east-1.json"), "utf8"),
  ) as Record<string, string>;
  const file = providers[type];
  if (file === undefined) throw new Error(`cfn-lint has no schema for ${type}`);
  return JSON.parse(readFileSync(join(schemas, "resources", `${file}.json`), "utf8"));
}
