import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * `npm test` leaves nothing behind in the temp folder: a test that makes a scratch folder either
 * uses `tempDir()` (test/support/temp-dirs.ts, removed after each test file by the setup file
 * test/support/cleanup.ts) or removes what it made itself in the same file.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "bench" ? [] : sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("test hygiene", () => {
  it("every scratch folder a test makes is removed", () => {
    const leaking = sources(join(root, "test"))
      .filter((path) => !path.endsWith(join("support", "temp-dirs.ts")))
      .filter((path) => {
        const text = readFileSync(path, "utf8");
        return /\bmkdtemp(Sync)?\(/.test(text) && !/\brmSync\(|\brm\(/.test(text);
      })
      .map((path) => relative(root, path));
    expect(leaking, "use tempDir() from test/support/temp-dirs.ts").toEqual([]);
  });
});
