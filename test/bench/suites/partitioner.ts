import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  compatibilityPartitioner,
  defaultPartitioner,
  ProduceAcks,
  Producer,
  stringSerializer,
} from "@platformatic/kafka";
import kafkajs from "kafkajs";
import { mskIamToken } from "../../../functions/kit/log/msk-iam.ts";
import { repoRoot } from "../../../localstack/stack/paths.ts";
import { progress, type SuiteReport, table } from "../lib/harness.ts";
import { runJava } from "../lib/java.ts";
import type { BenchLog } from "../lib/log.ts";

const { Kafka, logLevel, Partitioners } = kafkajs;

/**
 * Do the two clients put a key on the same partition as Java does? Computed for many keys with
 * each client's partitioner and with the Java producer's own `BuiltInPartitioner` (from
 * kafka-clients), then checked on the broker for a sample: each client sends the sample keys one
 * by one and the partition the broker acknowledged is compared. Also checks the MSK IAM wiring:
 * both adapters take their OAUTHBEARER token from the signer, and the signer makes a token offline.
 */
export async function partitionerSuite(
  log: BenchLog,
  options: { partitions: number; keys?: number; brokerSample?: number },
): Promise<SuiteReport> {
  const n = options.partitions;
  const keys = [
    ...Array.from({ length: options.keys ?? 2_000 }, () => `ord-${randomUUID()}`),
    "o-1",
    "c-1",
    "p-1",
    "kunde-müller-ß",
    "注文-42",
  ];

  const javaOut = await runJava(["test/bench/java/Partitions.java", String(n)], {
    input: `${keys.join("\n")}\n`,
  });
  if (javaOut.code !== 0) throw new Error(`Partitions.java failed: ${javaOut.stderr}`);
  const java = javaOut.stdout.trim().split("\n").map(Number);

  const partitionMetadata = Array.from({ length: n }, (_, i) => ({
    partitionId: i,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));
  const kafkajsPartitioner = Partitioners.DefaultPartitioner();
  const computed = keys.map((key, i) => {
    const buffer = Buffer.from(key, "utf8");
    return {
      key,
      java: java[i],
      kafkajs: kafkajsPartitioner({ topic: "t", partitionMetadata, message: { key, value: null } }),
      platformaticCompat: compatibilityPartitioner({ key: buffer } as never, buffer) % n,
      platformaticDefault: defaultPartitioner({ key: buffer } as never, buffer) % n,
    };
  });
  const differs = (field: "kafkajs" | "platformaticCompat" | "platformaticDefault") =>
    computed.filter((c) => c[field] !== c.java).length;

  // On the broker.
  const topic = await log.ensureTopic("partitioner", n);
  const sample = keys.slice(0, options.brokerSample ?? 48);
  const platformatic = new Producer({
    clientId: `${log.connection.clientId}-partitions`,
    bootstrapBrokers: [...log.brokers],
    idempotent: true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
    serializers: {
      key: stringSerializer,
      headerKey: stringSerializer,
      headerValue: stringSerializer,
    },
    autocreateTopics: false,
  });
  const kjs = new Kafka({
    clientId: `${log.connection.clientId}-partitions`,
    brokers: [...log.brokers],
    logLevel: logLevel.ERROR,
  }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await kjs.connect();
  const onBroker: { key: string; java: number; platformatic: number; kafkajs: number }[] = [];
  for (const [i, key] of sample.entries()) {
    const a = await platformatic.send({ messages: [{ topic, key, value: Buffer.from("x") }] });
    const b = await kjs.send({ topic, acks: -1, messages: [{ key, value: "x" }] });
    onBroker.push({
      key,
      java: java[i] ?? -1,
      platformatic: a.offsets?.[0]?.partition ?? -1,
      kafkajs: b[0]?.partition ?? -1,
    });
  }
  await platformatic.close();
  await kjs.disconnect();
  const brokerMismatches = onBroker.filter(
    (r) => r.platformatic !== r.java || r.kafkajs !== r.java,
  ).length;
  progress(
    `partitioner: ${sample.length} keys checked on the broker, ${brokerMismatches} mismatches`,
  );

  // MSK IAM: the signer makes a token from the standard credential chain, offline.
  const saved = { ...process.env };
  let iam: { ok: boolean; detail: string };
  try {
    process.env.AWS_ACCESS_KEY_ID = "AKIDBENCHEXAMPLE";
    process.env.AWS_SECRET_ACCESS_KEY = "bench-secret";
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const { token, expiresAtMs } = await mskIamToken("eu-west-1");
    const url = Buffer.from(token, "base64url").toString("utf8");
    iam = {
      ok: url.includes("Action=kafka-cluster%3AConnect") && expiresAtMs > Date.now(),
      detail: `${url.slice(0, url.indexOf("?"))}?Action=kafka-cluster:Connect&X-Amz-… (${token.length} chars)`,
    };
  } catch (error) {
    iam = { ok: false, detail: (error as Error).message };
  } finally {
    for (const k of [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_PROFILE",
    ]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
  const source = (file: string) => readFileSync(`${repoRoot}/functions/kit/log/${file}`, "utf8");
  const wiring = {
    platformatic:
      /mechanism: "OAUTHBEARER"/.test(source("platformatic.ts")) &&
      /mskIamToken\(/.test(source("platformatic.ts")) &&
      /tls: \{\}/.test(source("platformatic.ts")),
    kafkajs:
      /mechanism: "oauthbearer"/.test(source("kafkajs.ts")) &&
      /mskIamToken\(/.test(source("kafkajs.ts")) &&
      /ssl: true/.test(source("kafkajs.ts")),
  };

  const rows = [
    ["kafkajs DefaultPartitioner", String(keys.length), String(differs("kafkajs"))],
    [
      "@platformatic/kafka compatibilityPartitioner (the adapter's)",
      String(keys.length),
      String(differs("platformaticCompat")),
    ],
    [
      "@platformatic/kafka defaultPartitioner (library default)",
      String(keys.length),
      String(differs("platformaticDefault")),
    ],
    [
      `on the broker: both clients, acknowledged partition`,
      String(sample.length),
      String(brokerMismatches),
    ],
  ];
  return {
    suite: "partitioner",
    tables: [
      table(
        `Key → partition vs the Java producer's BuiltInPartitioner (${n} partitions)`,
        ["partitioner", "keys", "differ from Java"],
        rows,
      ),
      table(
        "MSK IAM (SASL/OAUTHBEARER via aws-msk-iam-sasl-signer-js)",
        ["check", "result"],
        [
          [
            "platformatic adapter: tls + sasl OAUTHBEARER, token from mskIamToken",
            wiring.platformatic ? "yes" : "NO",
          ],
          [
            "kafkajs adapter: ssl + sasl oauthbearer, token from mskIamToken",
            wiring.kafkajs ? "yes" : "NO",
          ],
          [
            "signer makes a token offline (dummy credentials)",
            iam.ok ? "yes" : `NO: ${iam.detail}`,
          ],
        ],
      ),
    ],
    data: {
      partitions: n,
      keys: keys.length,
      differs: {
        kafkajs: differs("kafkajs"),
        platformaticCompat: differs("platformaticCompat"),
        platformaticDefault: differs("platformaticDefault"),
      },
      onBroker: { sample: sample.length, mismatches: brokerMismatches, rows: onBroker },
      iam: { ...iam, wiring },
    },
  };
}
