import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createLogClient } from "../../../functions/kit/log/client.ts";
import type { LogClient } from "../../../functions/kit/log/port.ts";
import { closeQueryReader } from "../../../functions/kit/log-query/reader.ts";
import type { SessionDescription } from "../../../localstack/host/session.ts";
import { readSessionDescription } from "../../../localstack/host/session.ts";
import { clientConfigsOf } from "../../../localstack/stack/endpoints.ts";
import { duplexHome } from "../../../localstack/stack/paths.ts";
import { readState } from "../../../localstack/stack/state.ts";
import { NotFoundError, UnavailableError } from "../errors.ts";
import { localConsumerControl } from "./control-client.ts";
import { controlEndpointInvoker } from "./invokers.ts";
import { localPlatform } from "./platform.ts";
import { remoteLogClient } from "./remote-log.ts";
import type { CommandRoute, LogVia, Target, TargetResources } from "./target.ts";

/** Names of the sessions that described themselves in `.duplex/sessions/`. */
export function knownSessions(): string[] {
  try {
    return readdirSync(join(duplexHome, "sessions"))
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .sort();
  } catch {
    return [];
  }
}

/** Whether the process that runs a session is alive. */
export function sessionAlive(description: SessionDescription): boolean {
  try {
    process.kill(description.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The resources of a session, in the CLI's terms: every ARN as the emulator returned it. */
export function resourcesOfSession(description: SessionDescription): TargetResources {
  const r = description.resources;
  const commands: Record<string, CommandRoute> = {};
  for (const [command, queue] of Object.entries(r.commandQueues)) {
    commands[command] = {
      command,
      queue: { name: queue.name, url: queue.url, arn: queue.arn },
      dlq: queue.dlq,
      ruleName: queue.ruleName,
      ruleArn: queue.ruleArn,
    };
  }
  return {
    region: r.region,
    eventBusName: r.eventBusName,
    eventBusArn: r.eventBusArn,
    archiveName: r.archiveName,
    archiveArn: r.archiveArn,
    tables: r.tables,
    commands,
    ruleTargetDlqs: [r.ruleTargetDlq],
  };
}

/**
 * Opens a local session by name, from its description. With `logVia: "function"` every call to
 * the log goes through the session's log-operations function (the path AWS takes), through the
 * session's control endpoint.
 */
export function openLocalTarget(
  name: string,
  options: { logVia?: LogVia | undefined } = {},
): Target {
  const description = readSessionDescription(name);
  if (description === undefined) {
    const known = knownSessions();
    throw new NotFoundError(`no local session '${name}' (.duplex/sessions/${name}.json)`, {
      hint:
        known.length > 0
          ? `pass one of: ${known.map((k) => `--session ${k}`).join(", ")}; or start the demo with 'npm start'`
          : "start the demo with 'npm start' (session 'demo'), or target AWS with --stage dev",
    });
  }
  if (description.resources.eventBusArn === undefined) {
    throw new NotFoundError(
      `session '${name}' was described by an older Duplex (.duplex/sessions/${name}.json has no ARNs)`,
      { hint: "start the session again (for the demo: 'npm start')" },
    );
  }
  const { endpoints } = description;
  const { aws, dynamodb } = clientConfigsOf(endpoints);
  const alive = sessionAlive(description);
  let log: LogClient;
  if (options.logVia === "function") {
    if (!alive || description.control === undefined) {
      throw new UnavailableError(
        `session ${name} runs no functions host, so no log-operations function to go through`,
        {
          hint: "drop --log-via function, or start the session with its host (npm start -- --serve)",
        },
      );
    }
    log = remoteLogClient(controlEndpointInvoker(name, description.control));
  } else {
    log = createLogClient({
      brokers: endpoints.kafkaBrokers,
      auth: "none",
      clientId: `duplex-cli-${process.pid}`,
    });
  }
  const admin = log.admin();
  const sqs = new SQSClient(aws);
  const eventBridge = new EventBridgeClient(aws);
  const dynamo = new DynamoDBClient(dynamodb);
  const doc = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    kind: "local",
    emulator: endpoints.awsEmulator ?? "moto", // descriptions from before LocalStack ran moto
    label: `session ${name}${alive ? "" : " (its process is not running)"}`,
    topicPrefix: description.topicPrefix,
    topicEnvironment: (readState()?.brokerCount ?? 1) === 3 ? "local-cluster" : "local",
    resources: resourcesOfSession(description),
    log,
    admin,
    sqs,
    eventBridge,
    doc,
    consumers: localConsumerControl(name, alive ? description.control : undefined),
    platform: localPlatform(name, alive ? description.control : undefined),
    async close() {
      await closeQueryReader(log).catch(() => undefined);
      await admin.close().catch(() => undefined);
      sqs.destroy();
      eventBridge.destroy();
      dynamo.destroy();
    },
  };
}
