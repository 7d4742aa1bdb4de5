import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Requests per API (`"dynamodb PutItem"`, `"aws ReceiveMessage"`, ...). */
export type RequestCounts = Readonly<Record<string, number>>;

export interface CountedEndpoint {
  /** Short name used as the prefix of every API counted through it (`aws`, `dynamodb`). */
  readonly name: string;
  /** Where requests go, e.g. moto's `http://127.0.0.1:5000`. */
  readonly target: string;
  /** Port the counting proxy listens on; 0 lets the system choose a free one. */
  readonly listenPort: number;
}

/**
 * Counts the requests a run makes to the emulators, per API: an HTTP proxy per endpoint, in a
 * child process (its CPU is its own, not the host's or an emulator's), that forwards each request
 * unchanged. Point the SDK at {@link RequestCounter.urls} instead of the emulator.
 *
 * @example
 * ```ts
 * const counter = await RequestCounter.start([{ name: "aws", target: moto, listenPort: 0 }]);
 * process.env.AWS_ENDPOINT_URL = counter.urls.aws;
 * // ... the run ...
 * const counts = await counter.counts(); // { "aws PutEvents": 1200, ... }
 * await counter.stop();
 * ```
 */
export class RequestCounter {
  readonly urls: Readonly<Record<string, string>>;
  readonly #child: ChildProcess;

  private constructor(
    child: ChildProcess,
    endpoints: readonly CountedEndpoint[],
    ports: readonly number[],
  ) {
    this.#child = child;
    this.urls = Object.fromEntries(
      endpoints.map((e, i) => [e.name, `http://127.0.0.1:${ports[i] ?? e.listenPort}`]),
    );
  }

  static async start(endpoints: readonly CountedEndpoint[]): Promise<RequestCounter> {
    const child = fork(fileURLToPath(new URL("./request-counter-child.ts", import.meta.url)), [], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const ready = new Promise<number[]>((resolve, reject) => {
      child.once("message", (message: { ready: boolean; ports?: number[]; error?: string }) =>
        message.ready
          ? resolve(message.ports ?? [])
          : reject(new Error(`request counter: ${message.error}`)),
      );
      child.once("exit", (code) => reject(new Error(`request counter exited with ${code}`)));
    });
    child.send({
      routes: endpoints.map((e) => ({
        name: e.name,
        listenPort: e.listenPort,
        target: e.target,
      })),
    });
    return new RequestCounter(child, endpoints, await ready);
  }

  /** The process id of the proxy (to leave its CPU out of, or report it next to, the others). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Requests counted so far; `reset` starts counting afresh. */
  counts(options: { reset?: boolean } = {}): Promise<RequestCounts> {
    return new Promise((resolve) => {
      this.#child.once("message", (message: { counts: RequestCounts }) => resolve(message.counts));
      this.#child.send({ kind: "counts", reset: options.reset ?? false });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.disconnect();
    await exited;
  }
}
