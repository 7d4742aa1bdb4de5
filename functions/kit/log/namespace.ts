import type { LogProducer } from "./port.ts";

/**
 * A topic namespace: every topic name gets a prefix (`t1a2b.order-events`). On AWS the prefix is
 * empty; the local stack gives each test run and each demo run its own namespace, so runs that
 * share one broker never read each other's events. Set by `DUPLEX_TOPIC_PREFIX`.
 */
export function physicalTopic(prefix: string, topic: string): string {
  return `${prefix}${topic}`;
}

/** The catalog name of a physical topic (the prefix removed). */
export function logicalTopic(prefix: string, topic: string): string {
  return prefix !== "" && topic.startsWith(prefix) ? topic.slice(prefix.length) : topic;
}

/** A producer that writes catalog topics into a namespace. */
export function namespacedProducer(producer: LogProducer, prefix: string): LogProducer {
  if (prefix === "") return producer;
  return {
    send: (records) =>
      producer.send(records.map((r) => ({ ...r, topic: physicalTopic(prefix, r.topic) }))),
    reset: async () => producer.reset?.(),
    close: () => producer.close(),
  };
}
