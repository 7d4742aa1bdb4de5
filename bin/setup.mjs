#!/usr/bin/env node
// First-run set-up for `npm start` and `npm test` (their pre-scripts): installs the locked npm
// packages when node_modules is missing or older than the lockfile. Plain JavaScript on purpose:
// it runs on whatever Node launched npm (possibly 20), before the project's own Node 24 exists.
// The stack's own installs (Kafka jars, moto, DynamoDB Local) happen on first `stack:up`.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lock = join(root, "package-lock.json");
const installed = join(root, "node_modules", ".package-lock.json");
const node24 = join(root, "node_modules", ".bin", "node");

const stale =
  !existsSync(installed) ||
  !existsSync(node24) ||
  statSync(installed).mtimeMs < statSync(lock).mtimeMs;

// npm checks `engines` against the Node that runs npm, not the Node 24 the project installs and
// runs on: under an older Node every package that needs 22+ prints an EBADENGINE block that asks
// for nothing. Those are hidden here (errors still show); the README says why.
const major = Number(process.versions.node.split(".")[0]);
const quiet = major < 24 ? ["--loglevel=error"] : [];

if (stale && process.env.DUPLEX_SKIP_INSTALL !== "1") {
  console.log("setup: installing npm packages from package-lock.json (first run only)…");
  if (quiet.length > 0) {
    console.log(
      `setup: npm runs on Node ${process.versions.node}; the project installs and uses its own Node 24, so npm's engine warnings are hidden`,
    );
  }
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund", ...quiet], {
    cwd: root,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  if (result.status !== 0) {
    console.error("setup: `npm ci` failed; fix the error above and run the command again");
    process.exit(result.status ?? 1);
  }
}
