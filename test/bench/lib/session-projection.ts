import { createLogClient } from "../../../functions/kit/log/client.ts";
import type { LogClient } from "../../../functions/kit/log/port.ts";
import type { Projection } from "../../../functions/kit/projector.ts";
import { functionDeclarations } from "../../../functions/registry.ts";
import { projections } from "../../../localstack/demo/invariants.ts";
import { readSessionDescription } from "../../../localstack/host/session.ts";

/** A projection and its physical topics on a local session's log, with a client for that log. */
export interface SessionProjection {
  readonly projection: Projection;
  readonly topics: readonly string[];
  readonly log: LogClient;
}

/**
 * Opens a local session's log for one projection (the bench scripts' common start); exits with
 * status 2, naming both, when the session or the projection does not exist.
 */
export function openSessionProjection(
  sessionName: string,
  projectionName: string,
  clientId: string,
): SessionProjection {
  const session = readSessionDescription(sessionName);
  const projection = projections.find((p) => p.name === projectionName);
  const declaration = functionDeclarations.find((d) => d.name === `${projectionName}-projector`);
  if (session === undefined || projection === undefined || declaration?.trigger.kind !== "log") {
    console.error(`no session '${sessionName}' or no projection '${projectionName}'`);
    process.exit(2);
  }
  const log = createLogClient({
    brokers: session.endpoints.kafkaBrokers,
    auth: "none",
    clientId: `${clientId}-${process.pid}`,
  });
  const topics = declaration.trigger.topics.map((t) => `${session.topicPrefix}${t}`);
  return { projection, topics, log };
}
