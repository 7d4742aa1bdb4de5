import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Scratch folders of the tests, removed after each test file (`test/support/cleanup.ts` is a
 * setup file of every vitest project), so `npm test` leaves nothing in the temp folder.
 */

const created: string[] = [];

/**
 * A new folder under the temp folder, named `<prefix>XXXXXX`, removed when the test file ends.
 *
 * @example
 * ```ts
 * const outdir = tempDir("duplex-cdk-dev-");
 * ```
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every folder {@link tempDir} made so far. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
