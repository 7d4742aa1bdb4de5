import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type TransferListItem, Worker } from "node:worker_threads";
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
  readonly id: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One execution environment: a worker thread that serves one invocation at a time. */
interface Environment {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  busy: boolean;
  current: Pending | undefined;
  /**
   * When it last finished an invocation (or finished its cold start), for reaping idle
   * environments; undefined while the cold start runs, which may take longer than the idle timeout
   * on a loaded machine and must not be cut short by the reaper.
   */
  idleSince: number | undefined;
}

export interface LocalFunctionStats {
  invocations: number;
  errors: number;
  coldStarts: number;
  totalMs: number;
  /** Environments killed mid-invocation by a drill. */
  crashes: number;
  /** Environments discarded after staying idle. */
  reaped: number;
  /** Most environments alive at once. */
  peakEnvironments: number;
}

export interface LocalFunctionOptions {
  /** Execution environments that may run at once (the function's concurrency; 4 by default). */
  readonly maxConcurrency?: number;
  /**
   * The context's `invokedFunctionArn`. The host builds it from the emulator's region and
   * account (the event bus's ARN).
   *
   * @default `arn:aws:lambda:local:000000000000:function:<name>` (no emulator to take one from)
   */
  readonly functionArn?: string;
  /** Environments kept when idle, started by {@link LocalFunction.warm} (default 0). */
  readonly minEnvironments?: number;
  /**
   * An environment idle this long is discarded, down to `minEnvironments`, as Lambda reclaims
   * idle execution environments (default 60 s; 0 never reaps).
   */
  readonly idleTimeoutMs?: number;
}

/** Options of one invocation. */
export interface InvokeOptions {
  /** Buffers of `event` to move to the environment instead of copying them. */
  readonly transfer?: readonly TransferListItem[];
}

/**
 * One function in the local host, with Lambda's execution model: each execution environment is
 * a worker thread with the function's environment variables and its handler module imported at
 * cold start, and it serves **one invocation at a time** (module-level state such as a
 * Powertools batch processor is safe, as on AWS). Concurrent invocations get further
 * environments, up to `maxConcurrency`; beyond that they wait for a free one. Environments idle for
 * `idleTimeoutMs` are discarded down to `minEnvironments`, so a quiet function holds little memory.
 * The declared timeout is enforced (a timed-out environment is discarded), and stdout/stderr
 * (Powertools JSON logs and EMF metrics) go to `.duplex/logs/functions/<name>.log`.
 */
export class LocalFunction {
  readonly declaration: FunctionDeclaration;
  readonly stats: LocalFunctionStats = {
    invocations: 0,
    errors: 0,
    coldStarts: 0,
    totalMs: 0,
    crashes: 0,
    reaped: 0,
    peakEnvironments: 0,
  };
  #env: Record<string, string>;
  readonly #maxConcurrency: number;
  readonly #minEnvironments: number;
  readonly #idleTimeoutMs: number;
  readonly #reaper: NodeJS.Timeout | undefined;
  readonly #environments: Environment[] = [];
  readonly #waiting: (() => void)[] = [];
  #nextId = 1;
  readonly #log: WriteStream;
  readonly #functionArn: string;

  constructor(
    declaration: FunctionDeclaration,
    env: Record<string, string>,
    logDir: string,
    options: LocalFunctionOptions = {},
  ) {
    this.declaration = declaration;
    this.#env = env;
    this.#maxConcurrency = Math.max(1, options.maxConcurrency ?? 4);
    this.#functionArn =
      options.functionArn ?? `arn:aws:lambda:local:000000000000:function:${declaration.name}`;
    this.#minEnvironments = Math.min(
      this.#maxConcurrency,
      Math.max(0, options.minEnvironments ?? 0),
    );
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    mkdirSync(logDir, { recursive: true });
    this.#log = createWriteStream(join(logDir, `${declaration.name}.log`), { flags: "a" });
    if (this.#idleTimeoutMs > 0) {
      this.#reaper = setInterval(() => this.#reap(), Math.min(5_000, this.#idleTimeoutMs));
      this.#reaper.unref();
    }
  }

  get name(): string {
    return this.declaration.name;
  }

  /** Most execution environments that may run at once. */
  get maxConcurrency(): number {
    return this.#maxConcurrency;
  }

  /** Execution environments alive now (busy or idle). */
  get environments(): number {
    return this.#environments.length;
  }

  /** Replaces environment variables and discards every execution environment (a redeploy). */
  async redeploy(env: Record<string, string>): Promise<void> {
    this.#env = { ...this.#env, ...env };
    for (const [name, value] of Object.entries(env)) if (value === "") delete this.#env[name];
    await this.stop();
  }

  /**
   * Starts execution environments ahead of the first invocations (no cold start then): up to the
   * minimum, and at least one.
   */
  async warm(): Promise<void> {
    while (this.#environments.length < Math.max(1, this.#minEnvironments)) this.#spawn();
    await Promise.all(this.#environments.map((e) => e.ready));
  }

  async invoke(event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    const environment = await this.#acquire();
    const id = this.#nextId++;
    const started = Date.now();
    this.stats.invocations++;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          environment.current = undefined;
          reject(
            new InvocationError(this.name, `timed out after ${this.declaration.timeoutSeconds} s`),
          );
          // Lambda discards an environment that timed out.
          void this.#discard(environment);
        }, this.declaration.timeoutSeconds * 1000);
        environment.current = { id, resolve, reject, timer };
        environment.worker.postMessage(
          { id, event, requestId: randomUUID() },
          options.transfer === undefined ? undefined : [...options.transfer],
        );
      });
    } catch (error) {
      this.stats.errors++;
      throw error;
    } finally {
      this.stats.totalMs += Date.now() - started;
      this.#release(environment);
    }
  }

  /**
   * Kills one execution environment that is in the middle of an invocation (its worker thread is
   * terminated wherever it is, as when Lambda's sandbox dies), for drills. The invocation fails
   * as a crash; the event source mapping retries its batch. Returns whether one was busy.
   */
  async crashBusyEnvironment(): Promise<boolean> {
    const busy = this.#environments.find((e) => e.current !== undefined);
    if (busy === undefined) return false;
    this.stats.crashes++;
    // Stop its code first, then fail the invocation: the retry must not overlap the dying one.
    const stopping = busy.worker.terminate();
    await this.#discard(busy, "execution environment killed mid-invocation");
    await stopping;
    return true;
  }

  /** Discards every execution environment; invocations still running fail. */
  async stop(): Promise<void> {
    await Promise.all([...this.#environments].map((environment) => this.#discard(environment)));
  }

  async close(): Promise<void> {
    clearInterval(this.#reaper);
    await this.stop();
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  /** An idle environment, a new one, or (at the concurrency limit) the next one released. */
  async #acquire(): Promise<Environment> {
    for (;;) {
      const environment =
        this.#environments.find((e) => !e.busy) ??
        (this.#environments.length < this.#maxConcurrency ? this.#spawn() : undefined);
      if (environment === undefined) {
        await new Promise<void>((resolve) => this.#waiting.push(resolve));
        continue;
      }
      environment.busy = true;
      try {
        await environment.ready;
      } catch (error) {
        this.#release(environment);
        throw error;
      }
      return environment;
    }
  }

  #release(environment: Environment): void {
    environment.busy = false;
    environment.idleSince = Date.now();
    this.#waiting.shift()?.();
  }

  /** Discards environments idle for `idleTimeoutMs`, longest idle first, down to the minimum. */
  #reap(): void {
    const now = Date.now();
    const idle = this.#environments
      .filter(
        (e): e is Environment & { idleSince: number } =>
          !e.busy && e.idleSince !== undefined && now - e.idleSince >= this.#idleTimeoutMs,
      )
      .sort((a, b) => a.idleSince - b.idleSince);
    for (const environment of idle) {
      if (this.#environments.length <= this.#minEnvironments) return;
      this.stats.reaped++;
      void this.#discard(environment);
    }
  }

  #spawn(): Environment {
    this.stats.coldStarts++;
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      workerData: {
        entry: pathToFileURL(join(repoRoot, this.declaration.entry)).href,
        functionName: this.name,
        functionArn: this.#functionArn,
        memoryMb: this.declaration.memoryMb,
        timeoutSeconds: this.declaration.timeoutSeconds,
      },
      env: { ...this.#env },
      stdout: true,
      stderr: true,
    });
    worker.stdout.pipe(this.#log, { end: false });
    worker.stderr.pipe(this.#log, { end: false });
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined);
    const environment: Environment = {
      worker,
      ready,
      busy: false,
      current: undefined,
      idleSince: undefined,
    };
    this.#environments.push(environment);
    this.stats.peakEnvironments = Math.max(this.stats.peakEnvironments, this.#environments.length);
    worker.on("message", (message: WorkerMessage) => {
      switch (message.kind) {
        case "ready":
          if (!environment.busy) environment.idleSince = Date.now();
          markReady();
          break;
        case "init-error":
          failReady(new InvocationError(this.name, `cold start failed: ${message.error.message}`));
          void this.#discard(environment);
          break;
        case "result":
        case "error": {
          const pending = environment.current;
          if (pending === undefined || pending.id !== message.id) return;
          environment.current = undefined;
          clearTimeout(pending.timer);
          if (message.kind === "result") pending.resolve(message.result);
          else pending.reject(new InvocationError(this.name, message.error.message));
          break;
        }
      }
    });
    worker.on("error", (error) => {
      const failure = new InvocationError(this.name, `crashed: ${error.message}`, { cause: error });
      failReady(failure);
      this.#fail(environment, failure);
      void this.#discard(environment);
    });
    worker.on("exit", () => {
      failReady(new InvocationError(this.name, "execution environment exited"));
      void this.#discard(environment);
    });
    return environment;
  }

  /** Removes an environment from service and terminates its worker. */
  async #discard(environment: Environment, why = "execution environment stopped"): Promise<void> {
    const index = this.#environments.indexOf(environment);
    if (index !== -1) this.#environments.splice(index, 1);
    this.#fail(environment, new InvocationError(this.name, why));
    // Someone waiting for an environment may start a fresh one now.
    this.#waiting.shift()?.();
    await environment.worker.terminate();
  }

  #fail(environment: Environment, error: Error): void {
    const pending = environment.current;
    if (pending === undefined) return;
    environment.current = undefined;
    clearTimeout(pending.timer);
    pending.reject(error);
  }
}

type WorkerMessage =
  | { kind: "ready" }
  | { kind: "init-error"; error: { message: string } }
  | { kind: "result"; id: number; result: unknown }
  | { kind: "error"; id: number; error: { message: string } };
