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
 * | `DUPLEX_KAFKA_PROXY_PORT` | `DUPLEX_KAFKA_PORT` + 6 | first of the ports of the proxied path to the brokers (node n: its proxied listener on +2(n-1), the TCP proxy in front of it on the next port) |
 * | `DUPLEX_TOXIPROXY_PORT` | `DUPLEX_KAFKA_PORT` + 12 | Toxiproxy's HTTP API, when a drill starts it |
 * | `DUPLEX_EMULATOR` | the running stack's, else `moto` | the AWS API emulator the stack runs: `moto` or `localstack` |
 * | `AWS_ENDPOINT_URL` | `http://127.0.0.1:<emulator's port>` | the AWS API endpoint; anything but the stack's emulator is external (e.g. a LocalStack in Docker) |
 * | `DUPLEX_MOTO_PORT` | `5000` | port of the moto server the stack runs |
 * | `DUPLEX_LOCALSTACK_PORT` | `4566` | port of LocalStack's gateway when the stack runs LocalStack |
 * | `DUPLEX_LOCALSTACK_PYTHON` | the newest Python 3.13+ found | the Python that LocalStack's virtualenv is made with (see `localstack-install.ts`) |
 * | `AWS_ENDPOINT_URL_DYNAMODB` | DynamoDB Local (`http://127.0.0.1:<DUPLEX_DYNAMODB_PORT>`) while the stack runs an emulator, else `AWS_ENDPOINT_URL` | the DynamoDB endpoint; anything but the stack's DynamoDB Local is external |
 * | `DUPLEX_DYNAMODB_PORT` | `8000` | port of the DynamoDB Local the stack runs |
 * | `DUPLEX_DYNAMODB_HEAP` | `512m` | maximum heap of DynamoDB Local's JVM (`-Xmx`) |
 * | `AWS_REGION` (or `AWS_DEFAULT_REGION`) | `us-east-1` | region for the SDK clients |
 *
 * Credentials are always `test`/`test`. The account is the emulator's (moto: `123456789012`,
 * LocalStack: `000000000000`): code that builds an ARN takes it from the ARNs the emulator returns,
 * never from here.
 *
 * The stack runs DynamoDB Local whenever it runs an emulator (moto, or LocalStack, whose own
 * DynamoDB would download DynamoDB Local and a JDK at run time), unless `AWS_ENDPOINT_URL_DYNAMODB`
 * names another DynamoDB. With an external AWS endpoint it runs neither, and DynamoDB calls go to
 * `AWS_ENDPOINT_URL_DYNAMODB` if set, else to `AWS_ENDPOINT_URL`.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import { type BrokerCount, type Emulator, readState, type StackState } from "./state.ts";

export type { Emulator } from "./state.ts";

/** Every {@link Emulator}, for messages and argument checks. */
export const EMULATORS: readonly Emulator[] = ["moto", "localstack"];

/** Defaults of the local stack. */
export const DEFAULTS = {
  kafkaPort: 9092,
  motoPort: 5000,
  region: "us-east-1",
  accessKeyId: "test",
  secretAccessKey: "test",
  localstackPort: 4566,
  kafkaHeap: "512m",
  dynamodbPort: 8000,
  dynamodbHeap: "512m",
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
  /** The emulator the stack runs at `awsEndpoint`; `external` when `AWS_ENDPOINT_URL` names another. */
  awsEmulator: Emulator | "external";
  /**
   * Where DynamoDB calls go, without a trailing slash: the stack's DynamoDB Local
   * (`http://127.0.0.1:8000`) while it runs moto, else `AWS_ENDPOINT_URL_DYNAMODB` or
   * `AWS_ENDPOINT_URL`.
   */
  dynamodbEndpoint: string;
  region: string;
  credentials: LocalCredentials;
}

/** What to pass to any AWS SDK v3 client constructor. */
export interface AwsClientConfig {
  endpoint: string;
  region: string;
  credentials: LocalCredentials;
}

/**
 * The environment variables that make AWS SDK v3 clients built with no explicit endpoint, region
 * or credentials (e.g. `new DynamoDBClient({})` in a handler) reach the local stack. The SDK reads
 * the service-specific `AWS_ENDPOINT_URL_DYNAMODB` before the global `AWS_ENDPOINT_URL`.
 */
export interface SdkEnvironment {
  AWS_ENDPOINT_URL: string;
  AWS_ENDPOINT_URL_DYNAMODB: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
}

/** The environment, parsed and validated. Optional fields are unset variables. */
export interface DuplexEnv {
  /** `DUPLEX_KAFKA_BROKERS`, when set. */
  kafkaBrokers: string[] | undefined;
  /** `DUPLEX_KAFKA_BROKERS_COUNT`, when set. */
  brokerCount: BrokerCount | undefined;
  kafkaBasePort: number;
  kafkaHeap: string;
  /** `DUPLEX_KAFKA_PROXY_PORT`: first port of the proxied path (see {@link proxyPorts}). */
  kafkaProxyBasePort: number;
  /** `DUPLEX_TOXIPROXY_PORT`: Toxiproxy's API. */
  toxiproxyPort: number;
  /** `AWS_ENDPOINT_URL`, normalised, when set. */
  awsEndpointUrl: string | undefined;
  /**
   * `DUPLEX_EMULATOR`, when set. Unset, the stack keeps the emulator it runs (see
   * {@link withRunningEmulator}), else moto.
   */
  emulator: Emulator | undefined;
  motoPort: number;
  /** `DUPLEX_LOCALSTACK_PORT`: where the stack's LocalStack listens. */
  localstackPort: number;
  /** `AWS_ENDPOINT_URL_DYNAMODB`, normalised, when set. */
  dynamodbEndpointUrl: string | undefined;
  /** `DUPLEX_DYNAMODB_PORT`: where the stack's DynamoDB Local listens. */
  dynamodbPort: number;
  /** `DUPLEX_DYNAMODB_HEAP`: DynamoDB Local's `-Xmx`. */
  dynamodbHeap: string;
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
  const heap = parseHeap(env, "DUPLEX_KAFKA_HEAP", DEFAULTS.kafkaHeap);
  const dynamodbHeap = parseHeap(env, "DUPLEX_DYNAMODB_HEAP", DEFAULTS.dynamodbHeap);
  const region =
    present(env, "AWS_REGION") ?? present(env, "AWS_DEFAULT_REGION") ?? DEFAULTS.region;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    const variable = present(env, "AWS_REGION") ? "AWS_REGION" : "AWS_DEFAULT_REGION";
    throw new ConfigError(variable, `"${region}" is not an AWS region (e.g. us-east-1)`);
  }
  const endpointRaw = present(env, "AWS_ENDPOINT_URL");
  const dynamodbEndpointRaw = present(env, "AWS_ENDPOINT_URL_DYNAMODB");
  const basePortRaw = present(env, "DUPLEX_KAFKA_PORT");
  const motoPortRaw = present(env, "DUPLEX_MOTO_PORT");
  const localstackPortRaw = present(env, "DUPLEX_LOCALSTACK_PORT");
  const emulatorRaw = present(env, "DUPLEX_EMULATOR");
  if (emulatorRaw !== undefined && !(EMULATORS as readonly string[]).includes(emulatorRaw)) {
    throw new ConfigError(
      "DUPLEX_EMULATOR",
      `"${emulatorRaw}" must be one of ${EMULATORS.join(", ")}`,
    );
  }
  const dynamodbPortRaw = present(env, "DUPLEX_DYNAMODB_PORT");
  // node 3's controller port is base + 5
  const kafkaBasePort =
    basePortRaw === undefined
      ? DEFAULTS.kafkaPort
      : parsePort("DUPLEX_KAFKA_PORT", basePortRaw, 65530);
  const motoPort =
    motoPortRaw === undefined ? DEFAULTS.motoPort : parsePort("DUPLEX_MOTO_PORT", motoPortRaw);
  const proxyPortRaw = present(env, "DUPLEX_KAFKA_PROXY_PORT");
  const kafkaProxyBasePort =
    proxyPortRaw === undefined
      ? kafkaBasePort + 6
      : parsePort("DUPLEX_KAFKA_PROXY_PORT", proxyPortRaw, 65530);
  const toxiproxyPortRaw = present(env, "DUPLEX_TOXIPROXY_PORT");
  const toxiproxyPort =
    toxiproxyPortRaw === undefined
      ? kafkaBasePort + 12
      : parsePort("DUPLEX_TOXIPROXY_PORT", toxiproxyPortRaw);
  const dynamodbPort =
    dynamodbPortRaw === undefined
      ? DEFAULTS.dynamodbPort
      : parsePort("DUPLEX_DYNAMODB_PORT", dynamodbPortRaw);
  const localstackPort =
    localstackPortRaw === undefined
      ? DEFAULTS.localstackPort
      : parsePort("DUPLEX_LOCALSTACK_PORT", localstackPortRaw);
  const parsed: DuplexEnv = {
    kafkaBrokers:
      brokersRaw === undefined ? undefined : parseBrokerList("DUPLEX_KAFKA_BROKERS", brokersRaw),
    brokerCount,
    kafkaBasePort,
    kafkaHeap: heap,
    kafkaProxyBasePort,
    toxiproxyPort,
    awsEndpointUrl:
      endpointRaw === undefined ? undefined : parseUrl("AWS_ENDPOINT_URL", endpointRaw),
    emulator: emulatorRaw as Emulator | undefined,
    motoPort,
    localstackPort,
    dynamodbEndpointUrl:
      dynamodbEndpointRaw === undefined
        ? undefined
        : parseUrl("AWS_ENDPOINT_URL_DYNAMODB", dynamodbEndpointRaw),
    dynamodbPort,
    dynamodbHeap,
    region,
  };
  // The ports of the components the stack runs must not collide.
  if (isManagedDynamoDb(parsed)) {
    const variable = dynamodbPortRaw === undefined ? undefined : "DUPLEX_DYNAMODB_PORT";
    const emulator = parsed.emulator ?? "moto";
    const emulatorVariable = emulator === "moto" ? "DUPLEX_MOTO_PORT" : "DUPLEX_LOCALSTACK_PORT";
    if (dynamodbPort === emulatorPort(parsed, emulator)) {
      throw new ConfigError(
        variable ?? emulatorVariable,
        `port ${dynamodbPort} would be both ${emulatorName(emulator)}'s and DynamoDB Local's`,
        { hint: `give ${emulatorVariable} and DUPLEX_DYNAMODB_PORT different ports` },
      );
    }
    const kafkaPorts = (port: number) =>
      isManagedKafka(parsed.kafkaBrokers) && port >= kafkaBasePort && port <= kafkaBasePort + 5;
    if (kafkaPorts(dynamodbPort)) {
      throw new ConfigError(
        variable ?? "DUPLEX_KAFKA_PORT",
        `port ${dynamodbPort} would be among Kafka's (${kafkaBasePort}-${kafkaBasePort + 5})`,
        { hint: "move DUPLEX_DYNAMODB_PORT or DUPLEX_KAFKA_PORT so that they do not overlap" },
      );
    }
    if (emulator === "localstack" && kafkaPorts(localstackPort)) {
      throw new ConfigError(
        localstackPortRaw === undefined ? "DUPLEX_KAFKA_PORT" : "DUPLEX_LOCALSTACK_PORT",
        `port ${localstackPort} would be among Kafka's (${kafkaBasePort}-${kafkaBasePort + 5})`,
        { hint: "move DUPLEX_LOCALSTACK_PORT or DUPLEX_KAFKA_PORT so that they do not overlap" },
      );
    }
  }
  return parsed;
}

function parseHeap(env: Env, name: string, fallback: string): string {
  const heap = present(env, name) ?? fallback;
  if (!/^\d+[mMgG]$/.test(heap)) {
    throw new ConfigError(name, `"${heap}" must look like 512m or 1g`);
  }
  return heap.toLowerCase();
}

/** Client and controller ports of Kafka node `id` (1-based). */
export function nodePorts(id: number, basePort: number): { client: number; controller: number } {
  const client = basePort + 2 * (id - 1);
  return { client, controller: client + 1 };
}

/**
 * The proxied path to node `id`: the broker's own listener for it (`listener`, advertised as the
 * proxy's address) and the port the TCP proxy listens on in front of it (`proxy`). Clients that
 * bootstrap from the proxy learn only proxy addresses from the metadata, so all their traffic
 * goes through it; clients of the plain listener never touch it.
 */
export function proxyPorts(id: number, proxyBasePort: number): { listener: number; proxy: number } {
  const listener = proxyBasePort + 2 * (id - 1);
  return { listener, proxy: listener + 1 };
}

/** Bootstrap addresses of the brokers through the TCP proxy. */
export function proxiedBrokers(count: BrokerCount, proxyBasePort: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `127.0.0.1:${proxyPorts(i + 1, proxyBasePort).proxy}`,
  );
}

/** Bootstrap addresses of the brokers the stack runs with `count` nodes. */
export function managedBrokers(count: BrokerCount, basePort: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.1:${nodePorts(i + 1, basePort).client}`);
}

/** The endpoint of the emulator the stack runs on `port` (moto's or LocalStack's). */
export function emulatorEndpoint(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** The port the stack runs `emulator` on. */
export function emulatorPort(
  env: Pick<DuplexEnv, "motoPort" | "localstackPort">,
  emulator: Emulator,
): number {
  return emulator === "moto" ? env.motoPort : env.localstackPort;
}

/** `moto` or `LocalStack`, for messages. */
export function emulatorName(emulator: Emulator): string {
  return emulator === "moto" ? "moto" : "LocalStack";
}

/**
 * The environment with the emulator decided: `DUPLEX_EMULATOR` if set; else the one the running
 * stack recorded (so `npm start` and the tests use the LocalStack that
 * `stack:up -- --emulator localstack` started); else moto.
 */
export function withRunningEmulator<T extends Pick<DuplexEnv, "emulator">>(
  env: T,
  running: Pick<StackState, "awsManaged" | "emulator"> | undefined = readState(),
): T & { emulator: Emulator } {
  const recorded = running?.awsManaged ? (running.emulator ?? "moto") : undefined;
  return { ...env, emulator: env.emulator ?? recorded ?? "moto" };
}

/** The endpoint of the DynamoDB Local the stack runs. */
export function dynamodbLocalEndpoint(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** True when `endpoint` is plain http on this machine's loopback at `port`. */
function isLoopback(endpoint: string, port: number): boolean {
  const url = new URL(endpoint);
  const host = url.hostname;
  return (
    url.protocol === "http:" &&
    (host === "127.0.0.1" || host === "localhost") &&
    Number(url.port || 80) === port &&
    (url.pathname === "/" || url.pathname === "")
  );
}

/**
 * True when `endpoint` is the emulator the stack runs on `port` (so the stack starts it): unset,
 * or plain http on the loopback at that port.
 */
export function isManagedAwsEndpoint(endpoint: string | undefined, port: number): boolean {
  return endpoint === undefined || isLoopback(endpoint, port);
}

type EmulatorEnv = Pick<
  DuplexEnv,
  | "awsEndpointUrl"
  | "emulator"
  | "motoPort"
  | "localstackPort"
  | "dynamodbEndpointUrl"
  | "dynamodbPort"
>;

/** True when the stack runs the AWS emulator (an unset `emulator` is moto). */
function runsEmulator(env: EmulatorEnv): boolean {
  return isManagedAwsEndpoint(env.awsEndpointUrl, emulatorPort(env, env.emulator ?? "moto"));
}

/**
 * True when the stack runs DynamoDB Local: it runs the AWS emulator (the AWS endpoint is unset or
 * the emulator's own) and `AWS_ENDPOINT_URL_DYNAMODB` is unset or names that DynamoDB Local (as
 * in the environment {@link sdkEnvironment} gives a child process). An unset `emulator` is moto:
 * pass the result of {@link withRunningEmulator} to follow a running LocalStack.
 */
export function isManagedDynamoDb(env: EmulatorEnv): boolean {
  if (!runsEmulator(env)) return false;
  return (
    env.dynamodbEndpointUrl === undefined || isLoopback(env.dynamodbEndpointUrl, env.dynamodbPort)
  );
}

/**
 * Where DynamoDB calls go: `AWS_ENDPOINT_URL_DYNAMODB` if set; else the stack's DynamoDB Local
 * while the stack runs the emulator; else `AWS_ENDPOINT_URL` (an external emulator that serves
 * DynamoDB itself).
 */
export function resolveDynamoDbEndpoint(env: EmulatorEnv): string {
  if (env.dynamodbEndpointUrl !== undefined) return env.dynamodbEndpointUrl;
  return runsEmulator(env)
    ? dynamodbLocalEndpoint(env.dynamodbPort)
    : (env.awsEndpointUrl ?? emulatorEndpoint(emulatorPort(env, env.emulator ?? "moto")));
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
  const state = readState();
  const parsed = withRunningEmulator(readDuplexEnv(env), state);
  let kafkaBrokers = parsed.kafkaBrokers;
  if (kafkaBrokers === undefined) {
    kafkaBrokers =
      state?.kafkaManaged === true
        ? state.kafkaBrokers
        : managedBrokers(parsed.brokerCount ?? 1, parsed.kafkaBasePort);
  }
  const managed = runsEmulator(parsed);
  return {
    kafkaBrokers,
    awsEndpoint: parsed.awsEndpointUrl ?? emulatorEndpoint(emulatorPort(parsed, parsed.emulator)),
    awsEmulator: managed ? parsed.emulator : "external",
    dynamodbEndpoint: resolveDynamoDbEndpoint(parsed),
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
  return clientConfigsOf(localEndpoints(env)).aws;
}

/**
 * Configuration for DynamoDB clients, e.g. `new DynamoDBClient(dynamodbClientConfig())`: like
 * {@link awsClientConfig}, with the DynamoDB endpoint (the stack's DynamoDB Local, not moto).
 *
 * @throws {ConfigError} naming the variable whose value is unusable.
 */
export function dynamodbClientConfig(env: Env = process.env): AwsClientConfig {
  return clientConfigsOf(localEndpoints(env)).dynamodb;
}

/**
 * Client configurations for endpoints already resolved (a running session's, or one read from its
 * description): `aws` for EventBridge, SQS and CloudWatch, `dynamodb` for DynamoDB.
 *
 * @example
 * const { aws, dynamodb } = clientConfigsOf(session.endpoints);
 * const sqs = new SQSClient(aws);
 * const dynamo = new DynamoDBClient(dynamodb);
 */
export function clientConfigsOf(endpoints: LocalEndpoints): {
  aws: AwsClientConfig;
  dynamodb: AwsClientConfig;
} {
  const { awsEndpoint, dynamodbEndpoint, region, credentials } = endpoints;
  return {
    aws: { endpoint: awsEndpoint, region, credentials },
    dynamodb: { endpoint: dynamodbEndpoint, region, credentials },
  };
}

/**
 * The variables a child process needs so that its AWS SDK v3 clients, built with no explicit
 * endpoint, reach the local stack: `{ ...process.env, ...sdkEnvironment() }`. They override
 * whatever the parent had (a profile's credentials, another region).
 *
 * @throws {ConfigError} naming the variable whose value is unusable.
 */
export function sdkEnvironment(env: Env = process.env): SdkEnvironment {
  const { awsEndpoint, dynamodbEndpoint, region, credentials } = localEndpoints(env);
  return {
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
}
