import { kafkajsClient } from "./kafkajs.ts";
import { platformaticClient } from "./platformatic.ts";
import type { LogClient, LogConnection } from "./port.ts";

/** The Kafka clients behind the port; `platformatic` is the default (see docs/kafka-client.md). */
export type LogClientName = LogClient["name"];

/**
 * A log client by name.
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
  return name === "kafkajs" ? kafkajsClient(connection) : platformaticClient(connection);
}
