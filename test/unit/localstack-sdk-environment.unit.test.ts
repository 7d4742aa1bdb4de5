/**
 * `sdkEnvironment()` is what a child process (a function worker, a tool) gets so that AWS SDK v3
 * clients built with no endpoint reach the local stack. This checks the premise with the SDK
 * itself: in a child process with exactly those variables, `new DynamoDBClient({})` calls the
 * service-specific `AWS_ENDPOINT_URL_DYNAMODB` and `new SQSClient({})` the global
 * `AWS_ENDPOINT_URL`, signing with the region and credentials of the environment. Two local HTTP
 * servers stand in for DynamoDB Local and moto.
 */
import { execFile } from "node:child_process";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkEnvironment } from "../../localstack/stack/endpoints.ts";
import { repoRoot } from "../../localstack/stack/paths.ts";

interface Seen {
  server: string;
  target: string | undefined;
  authorization: string | undefined;
}

const seen: Seen[] = [];

function fakeService(name: string, body: string): Server {
  return createServer((request, response) => {
    const headers: IncomingHttpHeaders = request.headers;
    seen.push({
      server: name,
      target: headers["x-amz-target"] as string | undefined,
      authorization: headers.authorization,
    });
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(body);
    });
  });
}

const dynamodb = fakeService("dynamodb", JSON.stringify({ TableNames: ["from-dynamodb"] }));
const aws = fakeService("aws", JSON.stringify({ QueueUrls: ["http://from-aws/q"] }));

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

const CHILD = `
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { SQSClient, ListQueuesCommand } from "@aws-sdk/client-sqs";
const tables = await new DynamoDBClient({ maxAttempts: 1 }).send(new ListTablesCommand({}));
const queues = await new SQSClient({ maxAttempts: 1 }).send(new ListQueuesCommand({}));
console.log(JSON.stringify({ tables: tables.TableNames, queues: queues.QueueUrls }));
`;

function runChild(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", CHILD],
      { cwd: repoRoot, env, timeout: 30_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

let ports: { dynamodb: number; aws: number };

beforeAll(async () => {
  ports = { dynamodb: await listen(dynamodb), aws: await listen(aws) };
});

afterAll(async () => {
  await Promise.all([dynamodb, aws].map((s) => new Promise((r) => s.close(r))));
});

describe("sdkEnvironment() in a child process", () => {
  it("sends DynamoDB to AWS_ENDPOINT_URL_DYNAMODB and everything else to AWS_ENDPOINT_URL", async () => {
    const sdk = sdkEnvironment({
      DUPLEX_KAFKA_BROKERS: "127.0.0.1:19092",
      AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.aws}`,
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ports.dynamodb}`,
      AWS_REGION: "eu-west-1",
    });
    expect(sdk.AWS_ENDPOINT_URL_DYNAMODB).toBe(`http://127.0.0.1:${ports.dynamodb}`);
    const out = await runChild({
      PATH: process.env.PATH ?? "",
      // nothing from this machine's AWS configuration may leak in
      HOME: "/nonexistent",
      AWS_CONFIG_FILE: "/nonexistent/config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
      ...sdk,
    });
    expect(JSON.parse(out)).toEqual({ tables: ["from-dynamodb"], queues: ["http://from-aws/q"] });
    expect(seen.map((s) => [s.server, s.target])).toEqual([
      ["dynamodb", "DynamoDB_20120810.ListTables"],
      ["aws", "AmazonSQS.ListQueues"],
    ]);
    expect(seen[0]?.authorization).toMatch(
      /Credential=test\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/,
    );
    expect(seen[1]?.authorization).toMatch(/Credential=test\/\d{8}\/eu-west-1\/sqs\/aws4_request/);
  });
});
