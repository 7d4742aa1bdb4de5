import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trackedPid } from "../../localstack/stack/processes.ts";

describe("trackedPid", () => {
  const marker = `duplex-tracked-pid-${process.pid}-${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), "duplex-pid-"));
  const file = join(dir, "component.pid");
  let child: ChildProcess;

  beforeAll(async () => {
    child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)", marker], {
      stdio: "ignore",
    });
    await new Promise((ready) => child.once("spawn", ready));
  });
  afterAll(() => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("given a pid file naming a process that carries the marker, returns that pid", () => {
    writeFileSync(file, `${child.pid}\n`);
    expect(trackedPid(file, marker)).toBe(child.pid);
  });

  it("given no pid file, finds the process by its marker and writes the pid file back", () => {
    rmSync(file, { force: true });
    expect(trackedPid(file, marker)).toBe(child.pid);
    expect(readFileSync(file, "utf8").trim()).toBe(String(child.pid));
  });

  it("given a pid file naming another process (a reused pid), finds ours instead", () => {
    writeFileSync(file, `${process.pid}\n`);
    expect(trackedPid(file, marker)).toBe(child.pid);
  });

  it("given no process with the marker, returns undefined and writes nothing", () => {
    rmSync(file, { force: true });
    expect(trackedPid(file, `${marker}-absent`)).toBeUndefined();
    expect(() => readFileSync(file)).toThrow();
  });
});
