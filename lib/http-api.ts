import { RemovalPolicy } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  HttpApi,
  HttpMethod,
  type HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer, HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { FunctionDeclaration } from "../functions/kit/declarations.ts";

/** How callers prove who they are. */
export type HttpApiAuth =
  | { readonly kind: "iam" }
  | { readonly kind: "jwt"; readonly issuer: string; readonly audience: readonly string[] };

/** A function with an `http` trigger and its deployed Lambda. */
export interface HttpApiFunction {
  readonly declaration: FunctionDeclaration;
  readonly function: IFunction;
}

/** Properties of {@link DuplexHttpApi}. */
export interface DuplexHttpApiProps {
  /** Prefix of the API's and log group's names, e.g. `duplex-dev`. */
  readonly namePrefix: string;
  /** The functions whose `http` triggers become routes. */
  readonly functions: readonly HttpApiFunction[];
  /**
   * Authorization of every route: IAM (SigV4-signed requests) or a JWT authorizer.
   *
   * @default { kind: "iam" }
   */
  readonly auth?: HttpApiAuth;
  /** Steady-state requests per second of the stage (API Gateway throttling). */
  readonly throttlingRateLimit: number;
  /** Burst of the stage's token bucket. */
  readonly throttlingBurstLimit: number;
  readonly accessLogRetention: RetentionDays;
  /** Key of the access log group. */
  readonly logsKey: IKey;
}

/** The access log line: one JSON object per request (structured, queryable in Logs Insights). */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: "$context.requestId",
  routeKey: "$context.routeKey",
  status: "$context.status",
  requestTime: "$context.requestTime",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
  responseLength: "$context.responseLength",
  sourceIp: "$context.identity.sourceIp",
  caller: "$context.identity.userArn",
  jwtSubject: "$context.authorizer.claims.sub",
  userAgent: "$context.identity.userAgent",
};

/**
 * The HTTP API in front of the functions with an `http` trigger (the command and query APIs):
 * one route per declared route with a Lambda proxy integration (payload format 2.0, as the local
 * host builds it), IAM authorization by default or a JWT authorizer, stage throttling, and JSON
 * access logs to an encrypted log group. Routes come from the declarations only.
 *
 * @example
 * ```ts
 * new DuplexHttpApi(this, "HttpApi", { namePrefix: "duplex-dev", functions, throttlingRateLimit: 100,
 *   throttlingBurstLimit: 200, accessLogRetention: RetentionDays.TWO_WEEKS, logsKey });
 * ```
 */
export class DuplexHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** `METHOD /path` of every route. */
  readonly routeKeys: readonly string[];

  constructor(scope: Construct, id: string, props: DuplexHttpApiProps) {
    super(scope, id);
    const auth = props.auth ?? { kind: "iam" };
    const authorizer: IHttpRouteAuthorizer =
      auth.kind === "iam"
        ? new HttpIamAuthorizer()
        : new HttpJwtAuthorizer("Jwt", auth.issuer, {
            authorizerName: `${props.namePrefix}-jwt`,
            jwtAudience: [...auth.audience],
          });
    this.api = new HttpApi(this, "Api", {
      apiName: `${props.namePrefix}-api`,
      description: `Duplex ${props.namePrefix}: command API (POST /commands/{type}) and query API`,
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, "AccessLogs", {
      logGroupName: `/aws/apigateway/${props.namePrefix}-api`,
      retention: props.accessLogRetention,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.api.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit, burstLimit: props.throttlingBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const keys: string[] = [];
    for (const fn of props.functions) {
      const trigger = fn.declaration.trigger;
      if (trigger.kind !== "http") continue;
      const integration = new HttpLambdaIntegration(
        `${fn.declaration.name}-integration`,
        fn.function,
      );
      for (const route of trigger.routes) {
        this.api.addRoutes({
          path: route.path,
          methods: [route.method === "GET" ? HttpMethod.GET : HttpMethod.POST],
          integration,
        });
        keys.push(`${route.method} ${route.path}`);
      }
    }
    this.routeKeys = keys;
  }

  /** The URL of the `$default` stage. */
  get url(): string {
    return this.stage.url;
  }
}
