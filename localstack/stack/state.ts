/**
 * The state file `.duplex/run/state.json`: what `stack:up` brought up (mode, broker count,
 * ports, which of Kafka, the AWS emulator (moto or LocalStack) and DynamoDB Local it runs). It
 * exists from `up` until `down`, so `status`, `down`, `stopBroker`/`startBroker` and
 * {@link localEndpoints} know the running mode and emulator.
 *
 * @module
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "./paths.ts";

/** Kafka topology: one combined node, or three (RF 3, min ISR 2, like MSK). */
export type KafkaMode = "single" | "cluster";

/** Broker counts the stack supports. */
export type BrokerCount = 1 | 3;

/** The AWS API emulators the stack can run: moto (the default) or LocalStack (host mode). */
export type Emulator = "moto" | "localstack";

/** What the stack brought up. */
export interface StackState {
  version: 1;
  mode: KafkaMode;
  brokerCount: BrokerCount;
  /** Client port of node 1; node n listens on base + 2(n-1), its controller on that + 1. */
  kafkaBasePort: number;
  /**
   * First port of the proxied path (each node's PROXIED listener and the TCP proxy in front of
   * it). Absent in state files written before brokers had that listener.
   */
  kafkaProxyBasePort?: number;
  /** Whether the stack runs Kafka itself (false: `DUPLEX_KAFKA_BROKERS` points elsewhere). */
  kafkaManaged: boolean;
  kafkaBrokers: string[];
  /** Whether the stack runs the AWS emulator itself (false: `AWS_ENDPOINT_URL` points elsewhere). */
  awsManaged: boolean;
  /** Which emulator it runs (absent in state files written before LocalStack: moto). */
  emulator?: Emulator;
  awsEndpoint: string;
  motoPort: number;
  /** Port of the stack's LocalStack, when it runs LocalStack. */
  localstackPort?: number;
  /**
   * Whether the stack runs DynamoDB Local itself. Absent in state files written before the stack
   * ran DynamoDB Local: then the environment decides.
   */
  dynamodbManaged?: boolean;
  /** Where DynamoDB calls go (DynamoDB Local, or an external endpoint). */
  dynamodbEndpoint?: string;
  /** Port of the stack's DynamoDB Local. */
  dynamodbPort?: number;
  startedAt: string;
}

const stateFile = join(paths.run, "state.json");

/** Mode for a broker count. */
export function modeOf(count: BrokerCount): KafkaMode {
  return count === 1 ? "single" : "cluster";
}

/** The state of the running stack, or `undefined` when it is down (or the file is unreadable). */
export function readState(): StackState | undefined {
  let text: string;
  try {
    text = readFileSync(stateFile, "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StackState>;
    if (parsed.version !== 1 || (parsed.brokerCount !== 1 && parsed.brokerCount !== 3)) {
      return undefined;
    }
    return parsed as StackState;
  } catch {
    return undefined;
  }
}

/** Records what is being brought up (atomically: write then rename). */
export function writeState(state: StackState): void {
  mkdirSync(paths.run, { recursive: true });
  const tmp = `${stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, stateFile);
}

/** Forgets the running stack (after `down`). */
export function clearState(): void {
  rmSync(stateFile, { force: true });
}
