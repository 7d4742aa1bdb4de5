/**
 * Fault hooks on the running stack's processes, for drills: freeze and thaw a component
 * (SIGSTOP/SIGCONT of its process group: it holds its connections and answers nothing, as a
 * machine in a long GC pause or a hung VM would), and find the brokers worth killing (the active
 * controller, the leader of most partitions of a topic). Stopping and starting a broker is
 * `stopBroker`/`startBroker` (`kafka-broker.ts`).
 *
 * @module
 */
import { Admin, Connection, describeQuorumV0 } from "@platformatic/kafka";
import { dynamodbPid } from "./dynamodb-local.ts";
import { StackStateError } from "./errors.ts";
import { runningPid } from "./kafka-broker.ts";
import { kafkaNodes } from "./kafka-config.ts";
import { localstackPid } from "./localstack-emulator.ts";
import { motoPid } from "./moto.ts";
import { readState } from "./state.ts";

/** A process of the stack: `moto`, `localstack`, `dynamodb`, or a Kafka node `kafka-<id>`. */
export type StackComponent = "moto" | "localstack" | "dynamodb" | `kafka-${number}`;

/** The AWS emulator the running stack runs itself (`moto` or `localstack`), as a component. */
export function runningEmulatorComponent(): "moto" | "localstack" {
  const state = readState();
  if (state !== undefined && !state.awsManaged) {
    throw new StackStateError(
      "the stack runs no AWS emulator of its own (AWS_ENDPOINT_URL is set)",
      {
        hint: "unset AWS_ENDPOINT_URL so the stack runs moto or LocalStack itself",
      },
    );
  }
  return state?.emulator ?? "moto";
}

/** The pid (and process group) of a running component. */
export function componentPid(name: StackComponent): number {
  let pid: number | undefined;
  if (name === "moto") pid = motoPid();
  else if (name === "localstack") pid = localstackPid();
  else if (name === "dynamodb") pid = dynamodbPid();
  else {
    const state = readState();
    const node =
      state === undefined
        ? undefined
        : kafkaNodes(state.brokerCount, state.kafkaBasePort, state.kafkaProxyBasePort).find(
            (n) => n.name === name,
          );
    pid = node === undefined ? undefined : runningPid(node);
  }
  if (pid === undefined) {
    throw new StackStateError(`${name} is not running in this checkout's stack`, {
      hint: "run `npm run stack:up` first",
    });
  }
  return pid;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    process.kill(pid, signal);
  }
}

/**
 * Freezes a component (SIGSTOP to its process group): its sockets stay open, nothing answers.
 *
 * @throws {StackStateError} when it is not running.
 */
export function freezeComponent(name: StackComponent): number {
  const pid = componentPid(name);
  signalGroup(pid, "SIGSTOP");
  return pid;
}

/** Thaws a frozen component (SIGCONT). */
export function thawComponent(name: StackComponent): void {
  signalGroup(componentPid(name), "SIGCONT");
}

/**
 * The node id of the active KRaft controller (the leader of the `__cluster_metadata` quorum),
 * from a DescribeQuorum request.
 */
export async function activeController(brokers: readonly string[]): Promise<number> {
  let lastError: unknown;
  for (const broker of brokers) {
    const [host = "127.0.0.1", port = "9092"] = broker.split(":");
    const connection = new Connection("duplex-drill-quorum");
    try {
      await connection.connect(host, Number(port));
      const answer = await describeQuorumV0.api.async(connection, [
        { topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] },
      ]);
      const leader = answer.topics[0]?.partitions[0]?.leaderId;
      if (leader !== undefined && leader >= 0) return leader;
    } catch (error) {
      lastError = error;
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  throw new StackStateError(
    `no broker of ${brokers.join(",")} named the active controller${lastError instanceof Error ? ` (${lastError.message})` : ""}`,
  );
}

/** The broker that leads the most partitions of `topic` (its leaders, per partition). */
export async function busiestLeader(
  brokers: readonly string[],
  topic: string,
): Promise<{ broker: number; partitions: number; of: number }> {
  const admin = new Admin({ clientId: "duplex-drill-leaders", bootstrapBrokers: [...brokers] });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const leaders = new Map<number, number>();
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    for (const partition of partitions) {
      leaders.set(partition.leader, (leaders.get(partition.leader) ?? 0) + 1);
    }
    const [broker, count] = [...leaders].sort((a, b) => b[1] - a[1])[0] ?? [1, 0];
    return { broker, partitions: count, of: partitions.length };
  } finally {
    await admin.close();
  }
}
