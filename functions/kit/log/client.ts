import { LogClientUnavailableError } from "./errors.ts";
import { platformaticClient } from "./platformatic.ts";
import type { LogClient, LogConnection } from "./port.ts";

/** The Kafka clients behind the port; `platformatic` is the default (see docs/kafka-client.md). */
export type LogClientName = Exclude<LogClient["name"], "log-operations">;

/**
 * A log client by name.
 *
 * `kafkajs` is there for the benchmarks' comparison only (docs/kafka-client.md): its adapter is
 * imported on first use from its source file, by a specifier esbuild does not follow, so no
 * Lambda bundle contains kafkajs. Choosing it inside a bundle fails on first use with
 * {@link LogClientUnavailableError}.
 *
 * @example
 * ```ts
 * const log = createLogClient({ brokers: ["127.0.0.1:9092"], clientId: "duplex", auth: "none" });
 * const producer = log.producer();
 * ```
 */
export function createLogClient(
  connection: LogConnection,
  name: LogClientName = "platformatic",
): LogClient {
  return name === "kafkajs" ? deferredKafkajsClient(connection) : platformaticClient(connection);
}

// A URL rather than a string literal: esbuild bundles `import("./kafkajs.ts")`, not this.
const kafkajsAdapter = new URL("./kafkajs.ts", import.meta.url).href;

function deferredKafkajsClient(connection: LogConnection): LogClient {
  let loaded: Promise<LogClient> | undefined;
  const client = () => {
    loaded ??= (import(kafkajsAdapter) as Promise<typeof import("./kafkajs.ts")>).then(
      (adapter) => adapter.kafkajsClient(connection),
      (error: unknown) => {
        throw new LogClientUnavailableError("kafkajs", kafkajsAdapter, { cause: error });
      },
    );
    return loaded;
  };
  return {
    name: "kafkajs",
    producer: () => deferred(client().then((c) => c.producer())),
    consumer: (options) => deferred(client().then((c) => c.consumer(options))),
    reader: () => deferred(client().then((c) => c.reader())),
    admin: () => deferred(client().then((c) => c.admin())),
  };
}

/**
 * An object whose methods wait for `target` and then call its method of the same name. Every
 * method of the port's producer, consumer, reader and admin returns a promise, so callers see no
 * difference.
 */
function deferred<T extends object>(target: Promise<T>): T {
  return new Proxy({} as T, {
    get(_, method) {
      // Not a thenable: `await producer` must not wait for the adapter to load.
      if (method === "then") return undefined;
      return async (...args: unknown[]) => {
        const real = (await target) as Record<PropertyKey, (...a: unknown[]) => unknown>;
        const fn = real[method];
        if (typeof fn !== "function") throw new TypeError(`log client has no ${String(method)}`);
        return fn.apply(real, args);
      };
    },
  });
}
