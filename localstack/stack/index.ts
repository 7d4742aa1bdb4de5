/**
 * The local stack's public API: lifecycle, fault injection, endpoints and errors.
 *
 * ```ts
 * import { stackUp, awsClientConfig, dynamodbClientConfig } from "../localstack/stack/index.ts";
 * await stackUp();
 * const sqs = new SQSClient(awsClientConfig());
 * const dynamo = new DynamoDBClient(dynamodbClientConfig()); // DynamoDB Local, not moto
 * spawn("node", ["worker.ts"], { env: { ...process.env, ...sdkEnvironment() } });
 * ```
 *
 * @module
 */

export { type DynamoDbProbe, probeDynamoDb } from "./dynamodb-local.ts";
export {
  type AwsClientConfig,
  awsClientConfig,
  clientConfigsOf,
  DEFAULTS,
  type DuplexEnv,
  dynamodbClientConfig,
  EMULATORS,
  type Emulator,
  type LocalCredentials,
  type LocalEndpoints,
  localEndpoints,
  readDuplexEnv,
  type SdkEnvironment,
  sdkEnvironment,
} from "./endpoints.ts";
export {
  ConfigError,
  describeStackError,
  EndpointUnavailableError,
  InstallError,
  PortInUseError,
  PrerequisiteError,
  StackError,
  StackLockedError,
  StackStateError,
  StartupError,
} from "./errors.ts";
export {
  activeController,
  busiestLeader,
  freezeComponent,
  runningEmulatorComponent,
  type StackComponent,
  thawComponent,
} from "./faults.ts";
export { probeKafka, startBroker, stopBroker } from "./kafka-broker.ts";
export {
  identifyEmulator,
  type LocalStackHealth,
  probeLocalStack,
} from "./localstack-emulator.ts";
export { LOCALSTACK_VERSION } from "./localstack-install.ts";
export {
  type ComponentStatus,
  type StackDownResult,
  type StackStatus,
  type StackUpOptions,
  type StackUpResult,
  stackDown,
  stackInstall,
  stackReset,
  stackStatus,
  stackUp,
} from "./stack.ts";
export type { BrokerCount, KafkaMode } from "./state.ts";
export {
  type KafkaProxies,
  kafkaProxies,
  startToxiproxy,
  stopToxiproxy,
  type Toxic,
  ToxiproxyClient,
  toxiproxyInstalled,
} from "./toxiproxy.ts";
