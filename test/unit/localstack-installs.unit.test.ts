import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  contentHash,
  freshStaging,
  installedWith,
  markInstalled,
  promoteStaging,
} from "../../localstack/stack/installs.ts";

describe("install markers and staging", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "duplex-installs-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("hashes the files an install is made from, in order", () => {
    writeFileSync(join(dir, "pom.xml"), "<project/>");
    writeFileSync(join(dir, "Launcher.java"), "class L {}");
    const both = contentHash(join(dir, "pom.xml"), join(dir, "Launcher.java"));
    expect(both).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash(join(dir, "pom.xml"))).not.toBe(both);
    writeFileSync(join(dir, "pom.xml"), "<project><changed/></project>");
    expect(contentHash(join(dir, "pom.xml"), join(dir, "Launcher.java"))).not.toBe(both);
  });

  it("counts a folder installed only with the marker of the current hash", () => {
    const lib = join(dir, "lib");
    expect(installedWith(lib, "abc")).toBe(false);
    mkdirSync(lib);
    expect(installedWith(lib, "abc")).toBe(false);
    markInstalled(lib, "abc");
    expect(installedWith(lib, "abc")).toBe(true);
    expect(installedWith(lib, "def")).toBe(false);
  });

  it("clears what interrupted installs left, and only that", () => {
    const target = join(dir, "lib");
    mkdirSync(join(dir, "lib.tmp-1"));
    mkdirSync(join(dir, "lib.tmp-99999"));
    mkdirSync(join(dir, "library.tmp-1"));
    mkdirSync(target);
    const staging = freshStaging(target);
    expect(staging).toBe(`${target}.tmp-${process.pid}`);
    expect(readdirSync(dir).sort()).toEqual(["lib", "library.tmp-1"]);
  });

  it("puts a finished staging folder in place of the old install, marked", () => {
    const target = join(dir, "lib");
    mkdirSync(target);
    writeFileSync(join(target, "old.jar"), "");
    const staging = freshStaging(target);
    mkdirSync(staging);
    writeFileSync(join(staging, "new.jar"), "");
    promoteStaging(staging, target, "h1");
    expect(existsSync(staging)).toBe(false);
    expect(readdirSync(target).sort()).toEqual([".installed", "new.jar"]);
    expect(installedWith(target, "h1")).toBe(true);
  });
});
