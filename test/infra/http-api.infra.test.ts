import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { routeKeysOf } from "../../functions/kit/http/http-handler.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { ACCESS_LOG_FIELDS } from "../../lib/http-api.ts";
import { parseStageSettings, StageConfigError } from "../../lib/stages.ts";
import { allowStatementsOf, functionNamed } from "./iam.ts";
import { props, referencedId, resourcesOfType, stageSettings, synthStage } from "./support.ts";

/** The HTTP API (command and query API) in the synthesized stages: routes from the declarations. */
describe.each(["dev", "prod"] as const)("HTTP API on stage %s", (stage) => {
  const { template, json } = synthStage(stage, { nag: false });
  const settings = stageSettings(stage);
  const httpFunctions = functionDeclarations.filter((d) => d.trigger.kind === "http");
  const roleOf = (name: string) => referencedId(props(functionNamed(json, name)[1]).Role) ?? "";

  it("has one route per declared route, each a Lambda proxy (payload 2.0) with IAM auth", () => {
    const declared = httpFunctions.flatMap((d) =>
      d.trigger.kind === "http" ? routeKeysOf(d.trigger) : [],
    );
    const routes = Object.values(resourcesOfType(json, "AWS::ApiGatewayV2::Route"));
    expect(routes.map((r) => props(r).RouteKey).sort()).toEqual([...declared].sort());
    for (const route of routes) expect(props(route).AuthorizationType).toBe("AWS_IAM");
    const integrations = Object.values(resourcesOfType(json, "AWS::ApiGatewayV2::Integration"));
    expect(integrations).toHaveLength(httpFunctions.length);
    for (const integration of integrations) {
      expect(props(integration)).toMatchObject({
        IntegrationType: "AWS_PROXY",
        PayloadFormatVersion: "2.0",
      });
    }
    template.resourceCountIs("AWS::ApiGatewayV2::Api", 1);
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", { ProtocolType: "HTTP" });
  });

  it("throttles the stage and writes JSON access logs to an encrypted log group", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: settings.httpApi.throttlingRateLimit,
        ThrottlingBurstLimit: settings.httpApi.throttlingBurstLimit,
      },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: JSON.stringify(ACCESS_LOG_FIELDS),
      },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: `/aws/apigateway/duplex-${stage}-api`,
      RetentionInDays: settings.httpApi.accessLogRetentionDays,
      KmsKeyId: Match.anyValue(),
    });
  });

  it("alarms on 5xx, p99 latency and the 4xx rate", () => {
    const alarms = Object.values(resourcesOfType(json, "AWS::CloudWatch::Alarm")).map(props);
    const named = (id: string) => {
      const found = alarms.find((a) => a.AlarmName === `duplex-${stage}-${id}-duplex-${stage}-api`);
      if (found === undefined) throw new Error(`no alarm ${id}`);
      return found;
    };
    const serverErrors = named("api-5xx");
    expect(serverErrors.Threshold).toBe(settings.httpApi.serverErrorThreshold);
    expect(JSON.stringify(serverErrors)).toMatch(
      /"MetricName":"5xx".*"Namespace":"AWS\/ApiGateway"/,
    );
    const latency = named("api-latency");
    expect(latency.Threshold).toBe(settings.httpApi.latencyP99Ms);
    expect(JSON.stringify(latency)).toMatch(/"MetricName":"Latency".*"Stat":"p99"/);
    const rate = named("api-4xx-rate");
    expect(rate.Threshold).toBe(settings.httpApi.clientErrorRatePercent);
    expect(JSON.stringify(rate)).toContain("IF(requests > 0, 100 * errors / requests, 0)");
    template.hasOutput("ApiUrl", {});
  });

  it("gives the API functions only what they declare: the query API reads, the command API produces commands", () => {
    const query = allowStatementsOf(json, roleOf(`duplex-${stage}-query-api`));
    const actions = query.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions).not.toContain("dynamodb:PutItem");
    expect(actions).not.toContain("kafka-cluster:WriteData");
    expect(actions).toContain("kafka-cluster:ReadData");
    // It reads the log by position: no group to create, move or delete, only lag to describe.
    expect(actions).not.toContain("kafka-cluster:AlterGroup");
    expect(actions).not.toContain("kafka-cluster:DeleteGroup");
    expect(actions).toContain("kafka-cluster:DescribeGroup");
    const command = allowStatementsOf(json, roleOf(`duplex-${stage}-command-api`));
    const commandActions = command.flatMap((s) => [s.Action].flat() as string[]);
    expect(commandActions).toContain("kafka-cluster:WriteData");
    expect(commandActions).toContain("events:PutEvents");
    expect(commandActions).not.toContain("kafka-cluster:ReadData");
  });
});

describe("JWT authorizer (stage setting)", () => {
  it("replaces IAM on every route when the stage asks for it", () => {
    const dev = stageSettings("dev");
    const { json } = synthStage("dev", {
      nag: false,
      context: {
        stages: {
          dev: {
            ...dev,
            httpApi: {
              ...dev.httpApi,
              auth: "jwt",
              jwt: { issuer: "https://id.example.com/", audience: ["duplex"] },
            },
          },
          prod: stageSettings("prod"),
        },
      },
    });
    const authorizers = Object.values(resourcesOfType(json, "AWS::ApiGatewayV2::Authorizer"));
    expect(authorizers.map((a) => props(a))).toEqual([
      expect.objectContaining({
        AuthorizerType: "JWT",
        JwtConfiguration: { Issuer: "https://id.example.com/", Audience: ["duplex"] },
      }),
    ]);
    for (const route of Object.values(resourcesOfType(json, "AWS::ApiGatewayV2::Route"))) {
      expect(props(route).AuthorizationType).toBe("JWT");
    }
  });

  it("refuses jwt without its issuer, naming the field", () => {
    const dev = stageSettings("dev");
    expect(() =>
      parseStageSettings("dev", { ...dev, httpApi: { ...dev.httpApi, auth: "jwt", jwt: null } }),
    ).toThrow(StageConfigError);
    expect(() =>
      parseStageSettings("dev", { ...dev, httpApi: { ...dev.httpApi, auth: "jwt", jwt: null } }),
    ).toThrow(/httpApi\.jwt/);
  });
});
