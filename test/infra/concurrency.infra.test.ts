import { describe, expect, it } from "vitest";
import { topicSpecs } from "../../events/topics.ts";
import { httpConcurrency, sqsMaximumConcurrency } from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { functionNamed } from "./iam.ts";
import { cdkContext, referencedId, resourcesOfType, stageSettings, synthStage } from "./support.ts";

/** Back-pressure on AWS: reserved concurrency per function, SQS maximum concurrency, MSK pollers. */

const deployed = functionDeclarations.filter((d) => d.trigger.kind !== "custom-resource");

describe.each(["dev", "prod"] as const)("stage %s", (stage) => {
  const { json } = synthStage(stage, { nag: false });
  const settings = stageSettings(stage);
  const mappings = Object.values(resourcesOfType(json, "AWS::Lambda::EventSourceMapping"));
  const functionOf = (name: string) => functionNamed(json, `duplex-${stage}-${name}`);
  const mappingsOf = (functionId: string) =>
    mappings.filter((m) => referencedId(m.Properties?.FunctionName) === functionId);

  it("reserves each function's declared concurrency, by kind", () => {
    for (const declaration of functionDeclarations) {
      const [, resource] = functionOf(declaration.name);
      expect(resource.Properties?.ReservedConcurrentExecutions, declaration.name).toBe(
        declaration.concurrency.reserved,
      );
      switch (declaration.trigger.kind) {
        case "log":
          // One invocation per partition at most: as many as the topics have partitions.
          expect(declaration.concurrency.reserved, declaration.name).toBe(
            declaration.trigger.topics.reduce((n, t) => n + topicSpecs[t].partitions, 0),
          );
          break;
        case "schedule":
          expect(declaration.concurrency.reserved, declaration.name).toBe(1);
          break;
        case "http":
          expect(declaration.concurrency, declaration.name).toEqual(httpConcurrency);
          break;
        default:
          break;
      }
    }
  });

  it("keeps at least 100 of a default 1,000 account quota unreserved", () => {
    const reserved = functionDeclarations.reduce((n, d) => n + d.concurrency.reserved, 0);
    expect(reserved).toBeLessThanOrEqual(900);
  });

  it("caps each SQS mapping so that a function's mappings never exceed its reservation", () => {
    for (const declaration of deployed.filter((d) => d.trigger.kind === "fast-lane")) {
      const [id] = functionOf(declaration.name);
      const own = mappingsOf(id);
      const caps = own.map(
        (m) =>
          (m.Properties?.ScalingConfig as { MaximumConcurrency?: number } | undefined)
            ?.MaximumConcurrency,
      );
      expect(caps.length, declaration.name).toBeGreaterThan(0);
      for (const cap of caps) {
        expect(cap, declaration.name).toBe(sqsMaximumConcurrency(declaration));
        expect(cap).toBeGreaterThanOrEqual(2);
        expect(cap).toBeLessThanOrEqual(1_000);
      }
      const sum = caps.reduce((n: number, c) => n + (c ?? 0), 0);
      expect(sum, declaration.name).toBeLessThanOrEqual(declaration.concurrency.reserved);
    }
  });

  it("sizes each MSK mapping's provisioned pollers from the stage, at most one per partition", () => {
    for (const declaration of deployed.filter((d) => d.trigger.kind === "log")) {
      const [id] = functionOf(declaration.name);
      for (const mapping of mappingsOf(id)) {
        const [topic] = (mapping.Properties?.Topics ?? []) as [keyof typeof topicSpecs];
        const pollers = mapping.Properties?.ProvisionedPollerConfig as {
          MinimumPollers: number;
          MaximumPollers: number;
        };
        expect(pollers.MinimumPollers).toBe(settings.functions.minimumPollers);
        expect(pollers.MaximumPollers).toBe(
          Math.max(
            settings.functions.minimumPollers,
            Math.min(settings.functions.maximumPollers, topicSpecs[topic].partitions),
          ),
        );
      }
    }
  });
});

describe("an account whose quota cannot hold the reservations", () => {
  it("deploys without reserved concurrency but keeps the SQS maximum concurrency", () => {
    const context = cdkContext();
    const stages = structuredClone(context.stages) as Record<
      string,
      { functions: Record<string, unknown> }
    >;
    if (stages.dev === undefined) throw new Error("no dev stage in cdk.json");
    stages.dev.functions.reserveConcurrency = false;
    const { json } = synthStage("dev", { nag: false, context: { stages } });
    const functions = Object.values(resourcesOfType(json, "AWS::Lambda::Function"));
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties?.ReservedConcurrentExecutions).toBeUndefined();
    const sqsMappings = Object.values(
      resourcesOfType(json, "AWS::Lambda::EventSourceMapping"),
    ).filter((m) => m.Properties?.ScalingConfig !== undefined);
    expect(sqsMappings.length).toBeGreaterThan(0);
  });
});
