/**
 * Where the local infrastructure is: the one reader of the environment that every local tool,
 * test and host uses, so nobody hard-codes a port.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `DUPLEX_KAFKA_BROKERS` | the stack's brokers | comma list `host:port` of an external Kafka: when set, the stack starts no broker and only checks this one |
 * | `DUPLEX_KAFKA_BROKERS_COUNT` | `1` | `1` (single) or `3` (cluster) when `stack:up` gets no `--brokers` |
 * | `DUPLEX_KAFKA_PORT` | `9092` | client port of node 1 (node n: +2(n-1); controller: client + 1) |
 * | `DUPLEX_KAFKA_HEAP` | `512m` | heap of each broker JVM (`-Xms`/`-Xmx`) |
 * | `AWS_ENDPOINT_URL` | `http://127.0.0.1:<DUPLEX_MOTO_PORT>` | the AWS API endpoint; anything but the moto default is external (e.g. LocalStack on 4566) |
 * | `DUPLEX_MOTO_PORT` | `5000` | port of the moto server the stack runs |
 * | `AWS_REGION` (or `AWS_DEFAULT_REGION`) | `us-east-1` | region for the SDK clients |
 *
 * Credentials are always `test`/`test` (moto maps them to account `123456789012`).
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import { type BrokerCount, readState } from "./state.ts";

/** Defaults of the local stack. */
export const DEFAULTS = {
  kafkaPort: 9092,
  motoPort: 5000,
  region: "us-east-1",
  accessKeyId: "test",
  secretAccessKey: "test",
  /** The account moto uses for the `test` key. */
  accountId: "123456789012",
  kafkaHeap: "512m",
} as const;

/** Static credentials for the emulator. */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Everything a client needs to reach the local stack. */
export interface LocalEndpoints {
  /** Bootstrap brokers, `host:port`. */
  kafkaBrokers: string[];
  /** The AWS API endpoint (moto by default), without a trailing slash. */
  awsEndpoint: string;
  region: string;
  credentials: LocalCredentials;
}

/** What to pass to any AWS SDK v3 client constructor. */
export interface AwsClientConfig {
  endpoint: string;
  region: string;
  credentials: LocalCredentials;
}

/** The environment, parsed and validated. Optional fields are unset variables. */
export interface DuplexEnv {
  /** `DUPLEX_KAFKA_BROKERS`, when set. */
  kafkaBrokers: string[] | undefined;
  /** `DUPLEX_KAFKA_BROKERS_COUNT`, when set. */
  brokerCount: BrokerCount | undefined;
  kafkaBasePort: number;
  kafkaHeap: string;
  /** `AWS_ENDPOINT_URL`, normalised, when set. */
  awsEndpointUrl: string | undefined;
  motoPort: number;
  region: string;
}

type Env = Record<string, string | undefined>;

function present(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function parsePort(name: string, raw: string, max = 65535): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a port number`);
  const port = Number(raw);
  if (port < 1024 || port > max) {
    throw new ConfigError(name, `port ${port} is out of range (1024-${max})`);
  }
  return port;
}

function parseBrokerList(name: string, raw: string): string[] {
  const items = raw.split(",").map((item) => item.trim());
  for (const item of items) {
    const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d+)$/.exec(item);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError(name, `"${item}" is not host:port (expected e.g. 127.0.0.1:9092)`, {
        hint: `set ${name} to a comma-separated list such as 127.0.0.1:9092,127.0.0.1:9094, or unset it`,
      });
    }
  }
  return items;
}

function parseUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new ConfigError(name, `"${raw}" is not a URL`, {
      cause,
      hint: `set ${name} to e.g. http://127.0.0.1:5000 (moto) or http://127.0.0.1:4566 (LocalStack), or unset it`,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(name, `"${raw}" must be an http:// or https:// URL`);
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * Reads and validates the stack's environment variables.
 *
 * @throws {ConfigError} naming the variable whose value is unusable.
 */
export function readDuplexEnv(env: Env = process.env): DuplexEnv {
  const brokersRaw = present(env, "DUPLEX_KAFKA_BROKERS");
  const countRaw = present(env, "DUPLEX_KAFKA_BROKERS_COUNT");
  let brokerCount: BrokerCount | undefined;
  if (countRaw !== undefined) {
    if (countRaw !== "1" && countRaw !== "3") {
      throw new ConfigError("DUPLEX_KAFKA_BROKERS_COUNT", `"${countRaw}" must be 1 or 3`);
    }
    brokerCount = countRaw === "1" ? 1 : 3;
  }
  const heap = present(env, "DUPLEX_KAFKA_HEAP") ?? DEFAULTS.kafkaHeap;
  if (!/^\d+[mMgG]$/.test(heap)) {
    throw new ConfigError("DUPLEX_KAFKA_HEAP", `"${heap}" must look like 512m or 1g`);
  }
  const region =
    present(env, "AWS_REGION") ?? present(env, "AWS_DEFAULT_REGION") ?? DEFAULTS.region;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    const variable = present(env, "AWS_REGION") ? "AWS_REGION" : "AWS_DEFAULT_REGION";
    throw new ConfigError(variable, `"${region}" is not an AWS region (e.g. us-east-1)`);
  }
  const endpointRaw = present(env, "AWS_ENDPOINT_URL");
  const basePortRaw = present(env, "DUPLEX_KAFKA_PORT");
  const motoPortRaw = present(env, "DUPLEX_MOTO_PORT");
  return {
    kafkaBrokers:
      brokersRaw === undefined ? undefined : parseBrokerList("DUPLEX_KAFKA_BROKERS", brokersRaw),
    brokerCount,
    // node 3's controller port is base + 5
    kafkaBasePort:
      basePortRaw === undefined
        ? DEFAULTS.kafkaPort
        : parsePort("DUPLEX_KAFKA_PORT", basePortRaw, 65530),
    kafkaHeap: heap.toLowerCase(),
    awsEndpointUrl:
      endpointRaw === undefined ? undefined : parseUrl("AWS_ENDPOINT_URL", endpointRaw),
    motoPort:
      motoPortRaw === undefined ? DEFAULTS.motoPort : parsePort("DUPLEX_MOTO_PORT", motoPortRaw),
    region,
  };
}

/** Client and controller ports of Kafka node `id` (1-based). */
export function nodePorts(id: number, basePort: number): { client: number; controller: number } {
  const client = basePort + 2 * (id - 1);
  return { client, controller: client + 1 };
}

/** Bootstrap addresses of the brokers the stack runs with `count` nodes. */
export function managedBrokers(count: BrokerCount, basePort: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.1:${nodePorts(i + 1, basePort).client}`);
}

/** The endpoint of the moto server the stack runs. */
export function motoEndpoint(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** True when `endpoint` is the moto server the stack runs (so the stack starts moto). */
export function isManagedAwsEndpoint(endpoint: string | undefined, motoPort: number): boolean {
  if (endpoint === undefined) return true;
  const url = new URL(endpoint);
  const host = url.hostname;
  return (
    url.protocol === "http:" &&
    (host === "127.0.0.1" || host === "localhost") &&
    Number(url.port || 80) === motoPort &&
    (url.pathname === "/" || url.pathname === "")
  );
}

/**
 * True when the stack runs Kafka itself: `DUPLEX_KAFKA_BROKERS` is unset. Setting it (even to
 * 127.0.0.1:9092, e.g. for the compose file's broker) means "use that Kafka, don't start one".
 */
export function isManagedKafka(brokers: string[] | undefined): boolean {
  return brokers === undefined;
}

/**
 * Where the local stack is, from the environment (see the module doc for the variables) and,
 * when `DUPLEX_KAFKA_BROKERS` is unset, the running stack's state (so a 3-broker cluster
 * started with `stack:up -- --brokers 3` is seen with all three bootstrap addresses).
 *
 * @throws {ConfigError} naming the variable whose value is unusable.
 */
export function localEndpoints(env: Env = process.env): LocalEndpoints {
  const parsed = readDuplexEnv(env);
  let kafkaBrokers = parsed.kafkaBrokers;
  if (kafkaBrokers === undefined) {
    const state = readState();
    kafkaBrokers =
      state?.kafkaManaged === true
        ? state.kafkaBrokers
        : managedBrokers(parsed.brokerCount ?? 1, parsed.kafkaBasePort);
  }
  return {
    kafkaBrokers,
    awsEndpoint: parsed.awsEndpointUrl ?? motoEndpoint(parsed.motoPort),
    region: parsed.region,
    credentials: { accessKeyId: DEFAULTS.accessKeyId, secretAccessKey: DEFAULTS.secretAccessKey },
  };
}

/**
 * Configuration for any AWS SDK v3 client, e.g. `new SQSClient(awsClientConfig())`.
 *
 * @throws {ConfigError} naming the variable whose value is unusable.
 */
export function awsClientConfig(env: Env = process.env): AwsClientConfig {
  const { awsEndpoint, region, credentials } = localEndpoints(env);
  return { endpoint: awsEndpoint, region, credentials };
}
