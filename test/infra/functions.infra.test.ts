import { describe, expect, it } from "vitest";
import { allEventDefinitions } from "../../events/registry.ts";
import { DEAD_LETTER_TOPIC, topicSpecs, topicsFor } from "../../events/topics.ts";
import {
  consumerGroupFor,
  ENV,
  type FunctionDeclaration,
  tableEnvVar,
} from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { METRICS_NAMESPACE, VISIBILITY_TIMEOUT_FACTOR } from "../../lib/functions.ts";
import { fastLaneRoutes } from "../../lib/routes.ts";
import {
  allowStatementsOf,
  functionNamed,
  functionRoles,
  identityStatements,
  kafkaNames,
  renderArn,
  resourcesFor,
} from "./iam.ts";
import {
  asArray,
  props,
  referencedId,
  resourcesOfType,
  stageSettings,
  synthStage,
} from "./support.ts";

const { json } = synthStage("dev", { nag: false });
const settings = stageSettings("dev");
const mappings = resourcesOfType(json, "AWS::Lambda::EventSourceMapping");
const queues = resourcesOfType(json, "AWS::SQS::Queue");
const tables = resourcesOfType(json, "AWS::DynamoDB::Table");
const routes = fastLaneRoutes(allEventDefinitions(), functionDeclarations);
/** Every declared consumer group: the only groups any role names. */
const declaredGroups = functionDeclarations.flatMap((d) =>
  d.trigger.kind === "log"
    ? d.trigger.topics.map((t) => consumerGroupFor(d.trigger as never, t))
    : [],
);

function fn(declaration: FunctionDeclaration) {
  const [id, resource] = functionNamed(json, `duplex-dev-${declaration.name}`);
  const props = resource.Properties as Record<string, unknown>;
  const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
  const roleId = referencedId(props.Role) as string;
  return { id, props, env, roleId, statements: allowStatementsOf(json, roleId) };
}

function mappingsOf(functionId: string) {
  return Object.values(mappings).filter(
    (m) => referencedId(m.Properties?.FunctionName) === functionId,
  );
}

function queueNamed(name: string) {
  const found = Object.entries(queues).find(([, q]) => q.Properties?.QueueName === name);
  if (!found) throw new Error(`no queue ${name}`);
  return found;
}

describe.each(functionDeclarations.map((d) => [d.name, d] as const))(
  "function %s",
  (_name, declaration) => {
    const f = fn(declaration);

    it("is an ARM64 Node.js 24 function sized and timed as declared, in the private subnets", () => {
      expect(f.props).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        MemorySize: declaration.memoryMb,
        Timeout: declaration.timeoutSeconds,
        TracingConfig: { Mode: "Active" },
        LoggingConfig: { LogFormat: "JSON", ApplicationLogLevel: settings.functions.logLevel },
      });
      const vpc = f.props.VpcConfig as { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
      expect(vpc.SubnetIds).toHaveLength(3);
      expect(vpc.SecurityGroupIds).toHaveLength(1);
    });

    it("gets Powertools settings and one environment variable per declared resource", () => {
      expect(f.env).toMatchObject({
        [ENV.stage]: "dev",
        POWERTOOLS_SERVICE_NAME: declaration.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: settings.functions.logLevel,
      });
      const expected = new Set([
        ENV.stage,
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
        "NODE_OPTIONS",
      ]);
      // Game days (dev opts in) put the FIS Lambda extension on the fast-lane handlers.
      if (declaration.trigger.kind === "fast-lane" && settings.gameDays.enabled) {
        expected.add("AWS_LAMBDA_EXEC_WRAPPER");
        expected.add("AWS_FIS_CONFIGURATION_LOCATION");
      }
      for (const need of declaration.resources) {
        if (need.kind === "table") {
          expected.add(tableEnvVar(need.table));
          expect(referencedId(f.env[tableEnvVar(need.table)])).toMatch(
            new RegExp(`^Tables${need.table.replaceAll("-", "")}`, "i"),
          );
        }
        if (need.kind === "bus") expected.add(ENV.eventBusName);
        if (need.kind === "log") {
          expected.add(ENV.kafkaBrokers);
          expected.add(ENV.kafkaAuth);
          expect(f.env[ENV.kafkaAuth]).toBe("iam");
          expect(JSON.stringify(f.env[ENV.kafkaBrokers])).toContain("BootstrapBrokerStringSaslIam");
        }
        if (need.kind === "fast-lane-queues") {
          expected.add(ENV.fastLaneQueues);
          const rendered = renderArn(f.env[ENV.fastLaneQueues]);
          for (const route of routes) expect(rendered).toContain(`"${route.command}":"{`);
        }
      }
      expect(Object.keys(f.env).sort()).toEqual([...expected].sort());
      if (expected.has(ENV.eventBusName))
        expect(f.env[ENV.eventBusName]).toEqual({ Ref: expect.stringMatching(/^FastLaneBus/) });
    });

    it("has its declared trigger, and only that", () => {
      const own = mappingsOf(f.id);
      const trigger = declaration.trigger;
      switch (trigger.kind) {
        case "fast-lane": {
          expect(own).toHaveLength(trigger.commands.length);
          for (const command of trigger.commands) {
            const [queueId, queue] = queueNamed(`duplex-dev-${command}`);
            const mapping = own.find((m) => referencedId(m.Properties?.EventSourceArn) === queueId);
            expect(mapping?.Properties).toMatchObject({
              BatchSize: trigger.batchSize,
              MaximumBatchingWindowInSeconds: trigger.maxBatchingWindowSeconds,
              FunctionResponseTypes: ["ReportBatchItemFailures"],
            });
            const visibility = queue.Properties?.VisibilityTimeout as number;
            expect(visibility).toBeGreaterThanOrEqual(
              VISIBILITY_TIMEOUT_FACTOR * declaration.timeoutSeconds,
            );
            expect(
              (props(queue).RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount,
            ).toBe(trigger.maxReceiveCount);
          }
          break;
        }
        case "log": {
          expect(own).toHaveLength(trigger.topics.length);
          for (const topic of trigger.topics) {
            const mapping = own.find(
              (m) => JSON.stringify(m.Properties?.Topics) === JSON.stringify([topic]),
            );
            expect(mapping?.Properties).toMatchObject({
              AmazonManagedKafkaEventSourceConfig: {
                ConsumerGroupId: consumerGroupFor(trigger, topic),
              },
              BatchSize: trigger.batchSize,
              MaximumBatchingWindowInSeconds: trigger.batchingWindowSeconds,
              StartingPosition: trigger.startingPosition,
              MaximumRetryAttempts: trigger.maxRetries,
              BisectBatchOnFunctionError: trigger.splitBatchOnError,
              FunctionResponseTypes: ["ReportBatchItemFailures"],
              MaximumRecordAgeInSeconds: trigger.maxRecordAgeSeconds,
              DestinationConfig: { OnFailure: { Destination: `kafka://${trigger.onFailure}` } },
              ProvisionedPollerConfig: {
                MinimumPollers: settings.functions.minimumPollers,
                MaximumPollers: settings.functions.maximumPollers,
                PollerGroupName: "duplex-dev-log-consumers",
              },
            });
            expect(referencedId(mapping?.Properties?.EventSourceArn)).toMatch(/^EventLogCluster/);
            expect(mapping?.Properties?.MetricsConfig).toEqual({
              Metrics: ["EventCount", "ErrorCount", "KafkaMetrics"],
            });
          }
          break;
        }
        case "schedule": {
          expect(own).toHaveLength(0);
          const rule = Object.values(resourcesOfType(json, "AWS::Events::Rule")).find((r) =>
            asArray(r.Properties?.Targets as { Arn: unknown }[]).some(
              (t) => referencedId(t.Arn) === f.id,
            ),
          );
          const unit = trigger.everyMinutes === 1 ? "minute" : "minutes";
          expect(rule?.Properties?.ScheduleExpression).toBe(
            `rate(${trigger.everyMinutes} ${unit})`,
          );
          const target = asArray(rule?.Properties?.Targets as Record<string, unknown>[])[0];
          const [dlqId] = queueNamed(`duplex-dev-${declaration.name}-schedule-dlq`);
          expect(
            referencedId((target?.DeadLetterConfig as { Arn: unknown } | undefined)?.Arn),
          ).toBe(dlqId);
          expect(target?.RetryPolicy).toBeDefined();
          expect(referencedId((f.props.DeadLetterConfig as { TargetArn: unknown }).TargetArn)).toBe(
            dlqId,
          );
          break;
        }
        case "custom-resource":
        case "operator":
          expect(own).toHaveLength(0);
          break;
      }
    });

    it("may touch exactly what it declares", () => {
      const declaredTables = new Map(
        declaration.resources.flatMap((n) =>
          n.kind === "table" ? [[n.table, n.access] as const] : [],
        ),
      );
      const tableIdsFor = (action: string) =>
        resourcesFor(f.statements, action)
          .filter((r) => /^\{Tables/.test(r) && !r.includes("/index/"))
          .map((r) => r.slice(1, -1))
          .sort();
      const idOf = (table: string) =>
        Object.keys(tables).find((id) =>
          id.toLowerCase().startsWith(`tables${table.replaceAll("-", "")}`),
        );
      expect(tableIdsFor("dynamodb:GetItem")).toEqual([...declaredTables.keys()].map(idOf).sort());
      expect(tableIdsFor("dynamodb:PutItem")).toEqual(
        [...declaredTables]
          .filter(([, access]) => access === "read-write")
          .map(([t]) => idOf(t))
          .sort(),
      );

      const needs = (kind: string, access?: string) =>
        declaration.resources.filter(
          (n) =>
            n.kind === kind && (access === undefined || ("access" in n && n.access === access)),
        );
      expect(resourcesFor(f.statements, "events:PutEvents").length > 0).toBe(
        needs("bus").length > 0,
      );
      expect(resourcesFor(f.statements, "sqs:SendMessage").length > 0).toBe(
        needs("fast-lane-queues").length > 0 || declaration.trigger.kind === "schedule",
      );

      const operate = needs("log", "operate").flatMap((n) => ("topics" in n ? n.topics : []));
      const produce = new Set([
        ...needs("log", "produce").flatMap((n) => ("topics" in n ? n.topics : [])),
        ...operate,
      ]);
      if (declaration.trigger.kind === "log") produce.add(declaration.trigger.onFailure);
      expect(kafkaNames(resourcesFor(f.statements, "kafka-cluster:WriteData"), "topic")).toEqual(
        [...produce].sort(),
      );
      const read = declaration.trigger.kind === "log" ? [...declaration.trigger.topics] : operate;
      const inspected = needs("log", "inspect").flatMap((n) => ("topics" in n ? n.topics : []));
      expect(kafkaNames(resourcesFor(f.statements, "kafka-cluster:ReadData"), "topic")).toEqual(
        [...new Set([...read, ...inspected])].sort(),
      );
      const groups =
        declaration.trigger.kind === "log"
          ? read.map((t) => consumerGroupFor(declaration.trigger as never, t))
          : operate.length > 0
            ? [...declaredGroups]
            : [];
      expect(kafkaNames(resourcesFor(f.statements, "kafka-cluster:AlterGroup"), "group")).toEqual(
        groups.sort(),
      );
      const positions = [
        ...needs("log", "positions").flatMap((n) =>
          "consumerGroups" in n ? n.consumerGroups : [],
        ),
        ...needs("log", "inspect").flatMap((n) => ("observedGroups" in n ? n.observedGroups : [])),
      ];
      expect(
        kafkaNames(resourcesFor(f.statements, "kafka-cluster:DescribeGroup"), "group"),
      ).toEqual(
        // A mapping's own groups are described by Lambda; declared positions and observed groups by
        // the function.
        [...new Set([...groups, ...positions])].sort(),
      );
      const admin = [...needs("log", "admin"), ...needs("log", "operate")].flatMap((n) =>
        "topics" in n ? n.topics : [],
      );
      expect(kafkaNames(resourcesFor(f.statements, "kafka-cluster:CreateTopic"), "topic")).toEqual(
        [...admin].sort(),
      );
      for (const arn of resourcesFor(f.statements, "kafka-cluster:Connect"))
        expect(arn).toMatch(/^\{EventLogCluster\w+\}$/);
    });
  },
);

describe("stage differences of the functions", () => {
  it("prod logs at its own level, may scale its pollers further, and publishes every mapping metric group", () => {
    const prod = synthStage("prod", { nag: false }).json;
    const prodSettings = stageSettings("prod");
    const kafka = Object.values(resourcesOfType(prod, "AWS::Lambda::EventSourceMapping")).filter(
      (m) => m.Properties?.Topics,
    );
    for (const mapping of kafka) {
      expect(mapping.Properties?.MetricsConfig).toEqual({
        Metrics: ["EventCount", "ErrorCount", "KafkaMetrics"],
      });
      // The stage's maximum, capped at the topic's partitions (concurrency.infra.test.ts).
      const [topic] = (mapping.Properties?.Topics ?? []) as [keyof typeof topicSpecs];
      expect(mapping.Properties?.ProvisionedPollerConfig).toMatchObject({
        MaximumPollers: Math.min(
          prodSettings.functions.maximumPollers,
          topicSpecs[topic].partitions,
        ),
      });
    }
    const [, fnProd] = functionNamed(prod, "duplex-prod-order-commands");
    expect(fnProd.Properties?.LoggingConfig).toMatchObject({
      ApplicationLogLevel: prodSettings.functions.logLevel,
    });
  });
});

describe("IAM across the whole stack", () => {
  const statements = identityStatements(json).filter((s) => s.statement.Effect === "Allow");

  it("has no action with a wildcard in any Allow statement", () => {
    const wild = statements.flatMap((s) =>
      asArray(s.statement.Action).filter((a) => a.includes("*")),
    );
    expect(wild).toEqual([]);
  });

  it("grants on `*` only the EC2 network-interface and X-Ray actions that have no resource-level permissions", () => {
    const onStar = statements
      .filter((s) => asArray(s.statement.Resource).some((r) => r === "*"))
      .flatMap((s) => asArray(s.statement.Action));
    expect(onStar.length).toBeGreaterThan(0);
    for (const action of onStar)
      expect(action).toMatch(/^(ec2:(Create|Delete|Describe|Assign|Unassign)\w+|xray:Put\w+)$/);
  });

  it("names no data resource (table, queue, bus, key, topic, group) with a wildcard", () => {
    for (const { statement } of statements) {
      for (const resource of asArray(statement.Resource).map(renderArn)) {
        if (/dynamodb|sqs|events|kms|kafka|\{Tables|\{FastLane|\{Keys|\{EventLog/.test(resource)) {
          expect(resource.replace(/:\*$/, "")).not.toContain("*");
        }
      }
    }
  });

  it("names only declared consumer groups (no reader groups: the log is read without one)", () => {
    for (const { statement } of statements) {
      for (const resource of asArray(statement.Resource).map(renderArn)) {
        const group = /:group\/duplex-dev\/\{\}\/(.+)$/.exec(resource)?.[1];
        if (group !== undefined) expect(declaredGroups).toContain(group);
      }
    }
  });

  it("lets the log-operations function administer, read and append every catalog topic and move the declared groups' offsets, nothing else", () => {
    const [id] = functionNamed(json, "duplex-dev-log-operations");
    const own = allowStatementsOf(json, functionRoles(json).get(id) ?? "");
    const topics = Object.keys(topicSpecs).sort();
    for (const action of [
      "kafka-cluster:ReadData",
      "kafka-cluster:WriteData",
      "kafka-cluster:CreateTopic",
      "kafka-cluster:DescribeTopic",
    ]) {
      expect(kafkaNames(resourcesFor(own, action), "topic"), action).toEqual(topics);
    }
    for (const action of ["kafka-cluster:AlterGroup", "kafka-cluster:DeleteGroup"]) {
      expect(kafkaNames(resourcesFor(own, action), "group"), action).toEqual(
        [...declaredGroups].sort(),
      );
    }
    const services = new Set(own.flatMap((s) => asArray(s.Action).map((a) => a.split(":")[0])));
    expect([...services].sort()).toEqual(["ec2", "kafka-cluster", "logs", "xray"]);
  });

  it("scopes every MSK data-plane action to the cluster, topic or group ARN", () => {
    for (const { statement } of statements) {
      if (
        !asArray(statement.Action).some(
          (a) => a.startsWith("kafka-cluster:") || a.startsWith("kafka:"),
        )
      )
        continue;
      for (const resource of asArray(statement.Resource).map(renderArn)) {
        expect(resource).toMatch(
          /^(\{EventLogCluster\w+\}|arn:\{AWS::Partition\}:kafka:\{AWS::Region\}:\{AWS::AccountId\}:(topic|group)\/duplex-dev\/\{\}\/[\w.-]+)$/,
        );
      }
    }
  });

  it("writes failed log records only to the dead-letter topic", () => {
    const destinations = Object.values(mappings)
      .filter((m) => m.Properties?.Topics)
      .map(
        (m) =>
          (props(m).DestinationConfig as { OnFailure: { Destination: string } }).OnFailure
            .Destination,
      );
    expect(new Set(destinations)).toEqual(new Set([`kafka://${DEAD_LETTER_TOPIC}`]));
    expect(topicsFor("aws").map((t) => t.name)).toContain(DEAD_LETTER_TOPIC);
  });
});
