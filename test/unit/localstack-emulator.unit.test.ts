import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { arnAccountAndRegion } from "../../localstack/host/resources.ts";
import { PrerequisiteError } from "../../localstack/stack/errors.ts";
import {
  LOCALSTACK_SERVICES,
  localstackEnvironment,
  localstackReady,
} from "../../localstack/stack/localstack-emulator.ts";
import { paths } from "../../localstack/stack/paths.ts";
import { checkLocalStackPython } from "../../localstack/stack/prerequisites.ts";

describe("LocalStack's environment", () => {
  const env = localstackEnvironment(4570, {
    PATH: "/usr/bin",
    AWS_ENDPOINT_URL: "http://127.0.0.1:5000",
    AWS_ACCESS_KEY_ID: "AKIA-from-a-profile",
    LOCALSTACK_AUTH_TOKEN: "ls-token",
    SERVICES: "s3",
  });

  it("listens on the loopback at its port and names itself there in queue URLs", () => {
    expect(env.GATEWAY_LISTEN).toBe("127.0.0.1:4570");
    expect(env.LOCALSTACK_HOST).toBe("127.0.0.1:4570");
    expect(env.SQS_ENDPOINT_STRATEGY).toBe("off");
  });

  it("runs only events, sqs and cloudwatch, loaded at start", () => {
    expect(env.SERVICES).toBe("events,sqs,cloudwatch");
    expect(env.EAGER_SERVICE_LOADING).toBe("1");
  });

  it("does not phone home and writes only under .duplex/localstack", () => {
    expect(env.DISABLE_EVENTS).toBe("1");
    expect(env.SKIP_SSL_CERT_DOWNLOAD).toBe("1");
    expect(env.DNS_ADDRESS).toBe("0");
    expect(env.OVERRIDE_IN_DOCKER).toBe("0");
    for (const dir of ["FILESYSTEM_ROOT", "CONFIG_DIR", "XDG_CACHE_HOME"]) {
      expect(env[dir]?.startsWith(`${paths.localstackHome}/`)).toBe(true);
    }
  });

  it("is not steered by the parent's AWS or LocalStack variables", () => {
    expect(env.AWS_ENDPOINT_URL).toBeUndefined();
    expect(env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(env.LOCALSTACK_AUTH_TOKEN).toBeUndefined();
    expect(env.PATH).toBe("/usr/bin");
  });

  it("is ready only when every service Duplex uses is running", () => {
    const running = Object.fromEntries(LOCALSTACK_SERVICES.map((s) => [s, "running"]));
    expect(localstackReady({ answered: true, services: running })).toBe(true);
    expect(localstackReady({ answered: true, services: { ...running, sqs: "available" } })).toBe(
      false,
    );
    expect(localstackReady({ answered: false, services: {} })).toBe(false);
  });
});

describe("arnAccountAndRegion", () => {
  it("reads the account and region the emulator put in an ARN", () => {
    expect(arnAccountAndRegion("arn:aws:events:us-east-1:000000000000:event-bus/b")).toEqual({
      accountId: "000000000000",
      region: "us-east-1",
    });
    expect(arnAccountAndRegion("arn:aws:events:eu-west-1:123456789012:event-bus/b")).toEqual({
      accountId: "123456789012",
      region: "eu-west-1",
    });
  });

  it("names an ARN without an account", () => {
    expect(() => arnAccountAndRegion("arn:aws:s3:::bucket")).toThrow(/arn:aws:s3:::bucket/);
    expect(() => arnAccountAndRegion("event-bus/b")).toThrow(/event-bus\/b/);
  });
});

describe("checkLocalStackPython", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "duplex-python-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in interpreter that prints `version` for the version probe. */
  function fakePython(path: string, version: string): string {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, `#!/bin/sh\necho ${version}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it("uses DUPLEX_LOCALSTACK_PYTHON when it is 3.13+", () => {
    const python = fakePython(join(dir, "python3.13"), "3.13.4");
    expect(
      checkLocalStackPython({ DUPLEX_LOCALSTACK_PYTHON: python, PATH: dir, PYENV_ROOT: dir }),
    ).toEqual({ command: python, version: "3.13.4" });
  });

  it("rejects a DUPLEX_LOCALSTACK_PYTHON older than 3.13, naming the variable and the way out", () => {
    const python = fakePython(join(dir, "python3.11"), "3.11.7");
    let error: unknown;
    try {
      checkLocalStackPython({ DUPLEX_LOCALSTACK_PYTHON: python, PATH: dir, PYENV_ROOT: dir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PrerequisiteError);
    expect((error as Error).message).toContain("DUPLEX_LOCALSTACK_PYTHON");
    expect((error as Error).message).toContain("3.11.7");
    expect((error as PrerequisiteError).hint).toContain("pyenv install 3.13");
  });

  it("finds pyenv's 3.13 (newest patch) before a later minor, and skips older ones", () => {
    const root = join(dir, "pyenv");
    fakePython(join(root, "versions", "3.11.7", "bin", "python3"), "3.11.7");
    fakePython(join(root, "versions", "3.13.0", "bin", "python3"), "3.13.0");
    const newest = fakePython(join(root, "versions", "3.13.5", "bin", "python3"), "3.13.5");
    fakePython(join(root, "versions", "3.14.1", "bin", "python3"), "3.14.1");
    // PATH has no python3.13, python3.14 or python3 at all
    expect(checkLocalStackPython({ PATH: join(dir, "empty"), PYENV_ROOT: root })).toEqual({
      command: newest,
      version: "3.13.5",
    });
  });

  it("says how to get Python 3.13 when none is found", () => {
    const bin = join(dir, "bin");
    fakePython(join(bin, "python3"), "3.11.7");
    expect(() => checkLocalStackPython({ PATH: bin, PYENV_ROOT: join(dir, "no-pyenv") })).toThrow(
      /needs Python 3.13\+.*python3 is 3.11.7/,
    );
  });
});
