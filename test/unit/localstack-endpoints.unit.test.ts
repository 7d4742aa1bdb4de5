import { describe, expect, it } from "vitest";
import {
  awsClientConfig,
  dynamodbClientConfig,
  isManagedAwsEndpoint,
  isManagedDynamoDb,
  isManagedKafka,
  localEndpoints,
  managedBrokers,
  nodePorts,
  readDuplexEnv,
  resolveDynamoDbEndpoint,
  sdkEnvironment,
  withRunningEmulator,
} from "../../localstack/stack/endpoints.ts";
import { ConfigError } from "../../localstack/stack/errors.ts";

describe("readDuplexEnv", () => {
  it("has the documented defaults", () => {
    expect(readDuplexEnv({})).toEqual({
      kafkaBrokers: undefined,
      brokerCount: undefined,
      kafkaBasePort: 9092,
      kafkaHeap: "512m",
      kafkaProxyBasePort: 9098,
      toxiproxyPort: 9104,
      awsEndpointUrl: undefined,
      emulator: undefined,
      motoPort: 5000,
      localstackPort: 4566,
      dynamodbEndpointUrl: undefined,
      dynamodbPort: 8000,
      dynamodbHeap: "512m",
      region: "us-east-1",
    });
  });

  it.each([
    ["DUPLEX_KAFKA_BROKERS", "127.0.0.1"],
    ["DUPLEX_KAFKA_BROKERS", "127.0.0.1:9092,,"],
    ["DUPLEX_KAFKA_BROKERS", "host:99999"],
    ["DUPLEX_KAFKA_BROKERS_COUNT", "2"],
    ["DUPLEX_KAFKA_PORT", "80"],
    ["DUPLEX_KAFKA_PORT", "abc"],
    ["DUPLEX_KAFKA_HEAP", "lots"],
    ["DUPLEX_KAFKA_PROXY_PORT", "proxy"],
    ["DUPLEX_TOXIPROXY_PORT", "70000"],
    ["DUPLEX_MOTO_PORT", "-1"],
    ["DUPLEX_DYNAMODB_PORT", "8000x"],
    ["DUPLEX_DYNAMODB_PORT", "5000"], // moto's
    ["DUPLEX_EMULATOR", "docker"],
    ["DUPLEX_LOCALSTACK_PORT", "45666x"],
    ["DUPLEX_DYNAMODB_PORT", "9093"], // Kafka's
    ["DUPLEX_DYNAMODB_HEAP", "half"],
    ["AWS_ENDPOINT_URL_DYNAMODB", "127.0.0.1:8000"],
    ["AWS_ENDPOINT_URL", "not a url"],
    ["AWS_ENDPOINT_URL", "ftp://127.0.0.1:5000"],
    ["AWS_REGION", "Mars"],
  ])("rejects %s=%s naming the variable", (variable, value) => {
    let error: unknown;
    try {
      readDuplexEnv({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(variable);
  });

  it("parses a broker list and normalises the endpoint", () => {
    const env = readDuplexEnv({
      DUPLEX_KAFKA_BROKERS: " 127.0.0.1:9092 , localhost:9094",
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566/",
      AWS_REGION: "eu-west-1",
    });
    expect(env.kafkaBrokers).toEqual(["127.0.0.1:9092", "localhost:9094"]);
    expect(env.awsEndpointUrl).toBe("http://127.0.0.1:4566");
    expect(env.region).toBe("eu-west-1");
  });
});

describe("ports and managed endpoints", () => {
  it("spaces node ports by two: client, then controller", () => {
    expect([1, 2, 3].map((id) => nodePorts(id, 9092))).toEqual([
      { client: 9092, controller: 9093 },
      { client: 9094, controller: 9095 },
      { client: 9096, controller: 9097 },
    ]);
    expect(managedBrokers(3, 9092)).toEqual(["127.0.0.1:9092", "127.0.0.1:9094", "127.0.0.1:9096"]);
  });

  it("manages moto only for the default (or its own) endpoint", () => {
    expect(isManagedAwsEndpoint(undefined, 5000)).toBe(true);
    expect(isManagedAwsEndpoint("http://127.0.0.1:5000", 5000)).toBe(true);
    expect(isManagedAwsEndpoint("http://localhost:5000", 5000)).toBe(true);
    expect(isManagedAwsEndpoint("http://127.0.0.1:4566", 5000)).toBe(false);
    expect(isManagedAwsEndpoint("http://127.0.0.1:5001", 5001)).toBe(true);
  });

  it("manages DynamoDB Local whenever it manages moto, unless AWS_ENDPOINT_URL_DYNAMODB names another", () => {
    const managed = (env: Record<string, string>) => isManagedDynamoDb(readDuplexEnv(env));
    expect(managed({})).toBe(true);
    expect(managed({ AWS_ENDPOINT_URL: "http://127.0.0.1:5000" })).toBe(true);
    // what sdkEnvironment() hands a child process
    expect(managed({ AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8000" })).toBe(true);
    expect(
      managed({ DUPLEX_DYNAMODB_PORT: "8001", AWS_ENDPOINT_URL_DYNAMODB: "http://localhost:8001" }),
    ).toBe(true);
    expect(managed({ AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8001" })).toBe(false);
    expect(managed({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566" })).toBe(false);
    expect(
      managed({
        AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
        AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8000",
      }),
    ).toBe(false);
  });

  it("sends DynamoDB to DynamoDB Local with moto, else to AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL", () => {
    const endpoint = (env: Record<string, string>) => resolveDynamoDbEndpoint(readDuplexEnv(env));
    expect(endpoint({})).toBe("http://127.0.0.1:8000");
    expect(endpoint({ DUPLEX_DYNAMODB_PORT: "8123" })).toBe("http://127.0.0.1:8123");
    expect(endpoint({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566" })).toBe("http://127.0.0.1:4566");
    expect(
      endpoint({
        AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
        AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8000/",
      }),
    ).toBe("http://127.0.0.1:8000");
  });

  it("lets DynamoDB Local's port overlap moto's or Kafka's when the stack runs neither", () => {
    expect(() =>
      readDuplexEnv({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566", DUPLEX_DYNAMODB_PORT: "5000" }),
    ).not.toThrow();
    expect(() =>
      readDuplexEnv({ DUPLEX_KAFKA_BROKERS: "127.0.0.1:19092", DUPLEX_DYNAMODB_PORT: "9093" }),
    ).not.toThrow();
  });

  it("runs the emulator asked for, else the one the running stack records, else moto", () => {
    const env = readDuplexEnv({});
    // no stack running (passed explicitly: the default reads this checkout's state file)
    expect(withRunningEmulator(env, { awsManaged: false }).emulator).toBe("moto");
    expect(withRunningEmulator(env, { awsManaged: true, emulator: "localstack" }).emulator).toBe(
      "localstack",
    );
    // a state file from before LocalStack has no emulator: it ran moto
    expect(withRunningEmulator(env, { awsManaged: true }).emulator).toBe("moto");
    // a stack on an external endpoint runs no emulator to keep
    expect(withRunningEmulator(env, { awsManaged: false, emulator: "localstack" }).emulator).toBe(
      "moto",
    );
    const asked = readDuplexEnv({ DUPLEX_EMULATOR: "moto" });
    expect(withRunningEmulator(asked, { awsManaged: true, emulator: "localstack" }).emulator).toBe(
      "moto",
    );
  });

  it("runs LocalStack and DynamoDB Local on their own ports, LocalStack's endpoint being its own", () => {
    const localstack = readDuplexEnv({
      DUPLEX_EMULATOR: "localstack",
      DUPLEX_LOCALSTACK_PORT: "4570",
    });
    expect(isManagedDynamoDb(localstack)).toBe(true);
    expect(resolveDynamoDbEndpoint(localstack)).toBe("http://127.0.0.1:8000");
    // what sdkEnvironment() hands a child process of a LocalStack stack
    const child = readDuplexEnv({
      DUPLEX_EMULATOR: "localstack",
      DUPLEX_LOCALSTACK_PORT: "4570",
      AWS_ENDPOINT_URL: "http://127.0.0.1:4570",
      AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8000",
    });
    expect(isManagedDynamoDb(child)).toBe(true);
    // 4566 without DUPLEX_EMULATOR=localstack is someone else's LocalStack (e.g. Docker)
    expect(isManagedDynamoDb(readDuplexEnv({ AWS_ENDPOINT_URL: "http://127.0.0.1:4566" }))).toBe(
      false,
    );
    expect(() =>
      readDuplexEnv({ DUPLEX_EMULATOR: "localstack", DUPLEX_DYNAMODB_PORT: "4566" }),
    ).toThrow(/DUPLEX_DYNAMODB_PORT: port 4566 would be both LocalStack's and DynamoDB Local's/);
    expect(() =>
      readDuplexEnv({ DUPLEX_EMULATOR: "localstack", DUPLEX_LOCALSTACK_PORT: "9093" }),
    ).toThrow(/DUPLEX_LOCALSTACK_PORT: port 9093 would be among Kafka's/);
  });

  it("manages Kafka only while DUPLEX_KAFKA_BROKERS is unset", () => {
    expect(isManagedKafka(undefined)).toBe(true);
    expect(isManagedKafka(["127.0.0.1:9092"])).toBe(false);
  });
});

describe("localEndpoints / awsClientConfig / dynamodbClientConfig / sdkEnvironment", () => {
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };

  it("gives SDK v3 client config with local credentials", () => {
    const env = {
      DUPLEX_KAFKA_BROKERS: "127.0.0.1:19092",
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
      // named, so that a LocalStack stack running in this checkout does not make 4566 its own
      DUPLEX_EMULATOR: "moto",
    };
    expect(localEndpoints(env)).toEqual({
      kafkaBrokers: ["127.0.0.1:19092"],
      awsEndpoint: "http://127.0.0.1:4566",
      awsEmulator: "external",
      dynamodbEndpoint: "http://127.0.0.1:4566",
      region: "us-east-1",
      credentials,
    });
    expect(awsClientConfig(env)).toEqual({
      endpoint: "http://127.0.0.1:4566",
      region: "us-east-1",
      credentials,
    });
    expect(dynamodbClientConfig(env)).toEqual(awsClientConfig(env));
  });

  it("points DynamoDB clients at DynamoDB Local while the stack runs moto", () => {
    const env = {
      DUPLEX_KAFKA_BROKERS: "127.0.0.1:19092",
      DUPLEX_EMULATOR: "moto",
      AWS_REGION: "eu-west-1",
    };
    expect(localEndpoints(env).awsEmulator).toBe("moto");
    expect(awsClientConfig(env).endpoint).toBe("http://127.0.0.1:5000");
    expect(dynamodbClientConfig(env)).toEqual({
      endpoint: "http://127.0.0.1:8000",
      region: "eu-west-1",
      credentials,
    });
  });

  it("points at LocalStack, and DynamoDB at DynamoDB Local, when the stack runs LocalStack", () => {
    const env = {
      DUPLEX_KAFKA_BROKERS: "127.0.0.1:19092",
      DUPLEX_EMULATOR: "localstack",
      DUPLEX_LOCALSTACK_PORT: "4570",
    };
    const sdk = sdkEnvironment(env);
    expect(sdk.AWS_ENDPOINT_URL).toBe("http://127.0.0.1:4570");
    expect(sdk.AWS_ENDPOINT_URL_DYNAMODB).toBe("http://127.0.0.1:8000");
    expect(localEndpoints({ ...env, ...sdk }).awsEmulator).toBe("localstack");
  });

  it("gives a child process exactly the SDK variables, and they round-trip", () => {
    const env = {
      DUPLEX_KAFKA_BROKERS: "127.0.0.1:19092",
      DUPLEX_EMULATOR: "moto",
      DUPLEX_DYNAMODB_PORT: "8123",
    };
    const sdk = sdkEnvironment(env);
    expect(sdk).toEqual({
      AWS_ENDPOINT_URL: "http://127.0.0.1:5000",
      AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8123",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    // A child that reads its environment (with the same DUPLEX_* variables) sees the same stack.
    const child = { ...env, ...sdk };
    expect(isManagedDynamoDb(readDuplexEnv(child))).toBe(true);
    expect(sdkEnvironment(child)).toEqual(sdk);
  });
});
