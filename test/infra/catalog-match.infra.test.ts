import { describe, expect, it } from "vitest";
import { allEventDefinitions } from "../../events/registry.ts";
import { topicsFor } from "../../events/topics.ts";
import { consumerGroupFor } from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { fastLaneCommands } from "../../lib/routes.ts";
import { TOPICS_RESOURCE_TYPE } from "../../lib/topics.ts";
import { asArray, props, referencedId, resourcesOfType, synthStage } from "./support.ts";

/**
 * The synthesized template against the two sources of truth, one to one: every rule, queue, topic
 * and trigger comes from the catalog or a declaration, and every catalog entry or declaration has
 * its rule, queue, topic and trigger. Nothing missing, nothing extra.
 */
describe.each(["dev", "prod"] as const)(
  "stage %s matches the catalog and the declarations",
  (stage) => {
    const { json } = synthStage(stage, { nag: false });
    const prefix = `duplex-${stage}-`;
    const commands = fastLaneCommands(allEventDefinitions());
    const critical = allEventDefinitions()
      .filter((e) => e.critical)
      .map((e) => e.type);
    const scheduled = functionDeclarations
      .filter((d) => d.trigger.kind === "schedule")
      .map((d) => d.name);

    const functionsById = new Map(
      Object.entries(resourcesOfType(json, "AWS::Lambda::Function"))
        .filter(([, f]) => String(f.Properties?.FunctionName ?? "").startsWith(prefix))
        .map(([id, f]) => [id, String(f.Properties?.FunctionName).slice(prefix.length)]),
    );
    const queuesById = new Map(
      Object.entries(resourcesOfType(json, "AWS::SQS::Queue")).map(([id, q]) => [
        id,
        String(q.Properties?.QueueName),
      ]),
    );
    const rules = Object.values(resourcesOfType(json, "AWS::Events::Rule"));
    const mappings = Object.values(resourcesOfType(json, "AWS::Lambda::EventSourceMapping"));
    const sorted = (xs: Iterable<string>) => [...xs].sort();

    it("has one function per declaration", () => {
      expect(sorted(functionsById.values())).toEqual(
        sorted(functionDeclarations.map((d) => d.name)),
      );
    });

    it("has one fast-lane rule per critical command and one schedule rule per scheduled function", () => {
      expect(sorted(commands)).toEqual(sorted(critical));
      const busRules = rules.filter((r) =>
        referencedId(r.Properties?.EventBusName)?.startsWith("FastLaneBus"),
      );
      expect(sorted(busRules.map((r) => String(r.Properties?.Name)))).toEqual(sorted(commands));
      const scheduleRules = rules.filter((r) => r.Properties?.ScheduleExpression);
      const targets = scheduleRules.flatMap((r) =>
        asArray(r.Properties?.Targets as { Arn: unknown }[]).map((t) =>
          functionsById.get(referencedId(t.Arn) ?? ""),
        ),
      );
      expect(sorted(targets as string[])).toEqual(sorted(scheduled));
      expect(rules).toHaveLength(commands.length + scheduled.length);
    });

    it("has exactly the queues the fast lane and the schedules need", () => {
      const expected = [
        ...commands.flatMap((c) => [c, `${c}-dlq`, `${c}-delivery-dlq`]),
        "bus-dlq",
        ...scheduled.map((name) => `${name}-schedule-dlq`),
      ].map((n) => `${prefix}${n}`);
      expect(sorted(queuesById.values())).toEqual(sorted(expected));
    });

    it("creates exactly the catalog's topics", () => {
      const resource = Object.values(resourcesOfType(json, TOPICS_RESOURCE_TYPE));
      expect(resource).toHaveLength(1);
      const topics = resource[0]?.Properties?.topics as { name: string; partitions: number }[];
      expect(topics.map((t) => `${t.name}/${t.partitions}`)).toEqual(
        topicsFor("aws").map((t) => `${t.name}/${t.partitions}`),
      );
    });

    it("has exactly the SQS triggers the fast-lane declarations name", () => {
      const actual = mappings
        .filter((m) => queuesById.has(referencedId(m.Properties?.EventSourceArn) ?? ""))
        .map((m) => {
          const fn = functionsById.get(referencedId(m.Properties?.FunctionName) ?? "");
          const queue = queuesById.get(referencedId(m.Properties?.EventSourceArn) ?? "");
          return `${fn} <- ${queue?.slice(prefix.length)}`;
        });
      const expected = functionDeclarations.flatMap((d) =>
        d.trigger.kind === "fast-lane" ? d.trigger.commands.map((c) => `${d.name} <- ${c}`) : [],
      );
      expect(sorted(actual)).toEqual(sorted(expected));
    });

    it("has exactly the MSK triggers the log declarations name, one consumer group per topic", () => {
      const actual = mappings
        .filter((m) => m.Properties?.Topics)
        .map((m) => {
          const fn = functionsById.get(referencedId(m.Properties?.FunctionName) ?? "");
          const [topic] = props(m).Topics as string[];
          const group = (
            props(m).AmazonManagedKafkaEventSourceConfig as { ConsumerGroupId: string }
          ).ConsumerGroupId;
          return `${fn} <- ${topic} as ${group}`;
        });
      const expected = functionDeclarations.flatMap((d) => {
        const trigger = d.trigger;
        return trigger.kind === "log"
          ? trigger.topics.map((t) => `${d.name} <- ${t} as ${consumerGroupFor(trigger, t)}`)
          : [];
      });
      expect(sorted(actual)).toEqual(sorted(expected));
      expect(mappings).toHaveLength(
        actual.length +
          functionDeclarations.reduce(
            (n, d) => n + (d.trigger.kind === "fast-lane" ? d.trigger.commands.length : 0),
            0,
          ),
      );
    });

    it("serves the topics resource with the one custom-resource function", () => {
      const provisioners = functionDeclarations
        .filter((d) => d.trigger.kind === "custom-resource")
        .map((d) => d.name);
      const invoked = Object.values(resourcesOfType(json, "AWS::Lambda::Function"))
        .map(
          (f) =>
            (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
              ?.Variables?.USER_ON_EVENT_FUNCTION_ARN,
        )
        .filter((arn) => arn !== undefined)
        .map((arn) => functionsById.get(referencedId(arn) ?? ""));
      expect(invoked).toEqual(provisioners);
    });
  },
);
