/**
 * docker-compose.yml documents the versions the Docker-free stack installs (it cannot be run on
 * this project's machines, so nothing else would notice it drifting): Kafka from
 * localstack/kafka/pom.xml, LocalStack from localstack/localstack/requirements.txt (and the
 * installer's constant), DynamoDB Local from localstack/dynamodb/pom.xml.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOCALSTACK_SERVICES } from "../../localstack/stack/localstack-emulator.ts";
import { LOCALSTACK_VERSION } from "../../localstack/stack/localstack-install.ts";
import { repoRoot } from "../../localstack/stack/paths.ts";

const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
const compose = read("docker-compose.yml");

function pinned(text: string, pattern: RegExp, where: string): string {
  const version = pattern.exec(text)?.[1];
  if (version === undefined) throw new Error(`no version matching ${pattern} in ${where}`);
  return version;
}

function image(name: string): string {
  return pinned(compose, new RegExp(`image: ${name}:(\\S+)`), `docker-compose.yml (${name})`);
}

describe("docker-compose.yml", () => {
  it("pins the Kafka, LocalStack and DynamoDB Local versions the stack installs", () => {
    const kafka = pinned(
      read("localstack/kafka/pom.xml"),
      /<kafka\.version>([^<]+)</,
      "localstack/kafka/pom.xml",
    );
    const localstack = pinned(
      read("localstack/localstack/requirements.txt"),
      /^localstack-core==(\S+)/m,
      "localstack/localstack/requirements.txt",
    );
    const dynamodb = pinned(
      read("localstack/dynamodb/pom.xml"),
      /<dynamodb-local\.version>([^<]+)</,
      "localstack/dynamodb/pom.xml",
    );
    expect(localstack).toBe(LOCALSTACK_VERSION);
    expect({
      kafka: image("apache/kafka"),
      localstack: image("localstack/localstack"),
      dynamodb: image("amazon/dynamodb-local"),
    }).toEqual({ kafka, localstack, dynamodb });
  });

  it("runs LocalStack with the services the stack starts it with", () => {
    expect(pinned(compose, /SERVICES: (\S+)/, "docker-compose.yml (SERVICES)")).toBe(
      LOCALSTACK_SERVICES.join(","),
    );
  });
});
