import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { FunctionDeclaration } from "../../functions/kit/declarations.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The invocation failed: the handler threw, timed out, or its environment could not start. */
export class InvocationError extends Error {
  readonly functionName: string;
  constructor(functionName: string, message: string, options?: { cause?: unknown }) {
    super(`${functionName}: ${message}`, options);
    this.name = "InvocationError";
    this.functionName = functionName;
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface LocalFunctionStats {
  invocations: number;
  errors: number;
  coldStarts: number;
  totalMs: number;
}

/**
 * One function in the local host: a worker thread per execution environment, with the function's
 * environment variables, its handler module imported at cold start, the declared timeout enforced,
 * and stdout/stderr (Powertools JSON logs and EMF metrics) written to
 * `.duplex/logs/functions/<name>.log`.
 */
export class LocalFunction {
  readonly declaration: FunctionDeclaration;
  readonly stats: LocalFunctionStats = { invocations: 0, errors: 0, coldStarts: 0, totalMs: 0 };
  #env: Record<string, string>;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #log: WriteStream;

  constructor(declaration: FunctionDeclaration, env: Record<string, string>, logDir: string) {
    this.declaration = declaration;
    this.#env = env;
    mkdirSync(logDir, { recursive: true });
    this.#log = createWriteStream(join(logDir, `${declaration.name}.log`), { flags: "a" });
  }

  get name(): string {
    return this.declaration.name;
  }

  /** Replaces environment variables and starts a fresh execution environment (a redeploy). */
  async redeploy(env: Record<string, string>): Promise<void> {
    this.#env = { ...this.#env, ...env };
    for (const [name, value] of Object.entries(env)) if (value === "") delete this.#env[name];
    await this.stop();
  }

  /** Starts the execution environment ahead of the first invocation (no cold start then). */
  warm(): Promise<void> {
    return this.#start();
  }

  async invoke(event: unknown): Promise<unknown> {
    await this.#start();
    const worker = this.#worker;
    if (worker === undefined) throw new InvocationError(this.name, "no execution environment");
    const id = this.#nextId++;
    const started = Date.now();
    this.stats.invocations++;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.#pending.delete(id);
          reject(
            new InvocationError(this.name, `timed out after ${this.declaration.timeoutSeconds} s`),
          );
          // Lambda discards an environment that timed out.
          void this.stop();
        }, this.declaration.timeoutSeconds * 1000);
        this.#pending.set(id, { resolve, reject, timer });
        worker.postMessage({ id, event, requestId: randomUUID() });
      });
    } catch (error) {
      this.stats.errors++;
      throw error;
    } finally {
      this.stats.totalMs += Date.now() - started;
    }
  }

  async stop(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new InvocationError(this.name, "execution environment stopped"));
      this.#pending.delete(id);
    }
    await worker?.terminate();
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  #start(): Promise<void> {
    this.#ready ??= new Promise<void>((resolve, reject) => {
      this.stats.coldStarts++;
      const worker = new Worker(new URL("./worker.ts", import.meta.url), {
        workerData: {
          entry: pathToFileURL(join(repoRoot, this.declaration.entry)).href,
          functionName: this.name,
          memoryMb: this.declaration.memoryMb,
          timeoutSeconds: this.declaration.timeoutSeconds,
        },
        env: { ...this.#env },
        stdout: true,
        stderr: true,
      });
      worker.stdout.pipe(this.#log, { end: false });
      worker.stderr.pipe(this.#log, { end: false });
      this.#worker = worker;
      worker.on("message", (message: WorkerMessage) => {
        switch (message.kind) {
          case "ready":
            resolve();
            break;
          case "init-error":
            reject(new InvocationError(this.name, `cold start failed: ${message.error.message}`));
            void this.stop();
            break;
          case "result":
          case "error": {
            const pending = this.#pending.get(message.id);
            if (pending === undefined) return;
            this.#pending.delete(message.id);
            clearTimeout(pending.timer);
            if (message.kind === "result") pending.resolve(message.result);
            else pending.reject(new InvocationError(this.name, message.error.message));
            break;
          }
        }
      });
      worker.on("error", (error) => {
        reject(new InvocationError(this.name, `crashed: ${error.message}`, { cause: error }));
        void this.stop();
      });
      worker.on("exit", () => {
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
        }
      });
    });
    return this.#ready;
  }
}

type WorkerMessage =
  | { kind: "ready" }
  | { kind: "init-error"; error: { message: string } }
  | { kind: "result"; id: number; result: unknown }
  | { kind: "error"; id: number; error: { message: string } };
