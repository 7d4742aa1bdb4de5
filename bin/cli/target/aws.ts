import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { allEventDefinitions } from "../../../events/registry.ts";
import type { TableName } from "../../../functions/kit/declarations.ts";
import { createLogClient } from "../../../functions/kit/log/client.ts";
import { closeQueryReader } from "../../../functions/kit/log-query/reader.ts";
import { CredentialsError, NotFoundError, UnavailableError, UsageError } from "../errors.ts";
import { lambdaInvoker } from "./invokers.ts";
import { lambdaConsumerControl } from "./lambda-consumers.ts";
import { OPTIONAL_OUTPUT_KEYS, OUTPUT_KEYS } from "./outputs.ts";
import { awsPlatform } from "./platform.ts";
import { remoteLogClient } from "./remote-log.ts";
import type { CommandRoute, LogVia, Target, TargetResources } from "./target.ts";
import { queueRefFromUrl } from "./target.ts";

const TABLES: readonly TableName[] = [
  "aggregates",
  "sagas",
  "idempotency",
  "read-models",
  "command-ledger",
];

export interface AwsTargetOptions {
  readonly stack: string;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  /** Default: `function`, or `direct` when `DUPLEX_KAFKA_BROKERS` names reachable brokers. */
  readonly logVia?: LogVia | undefined;
}

/** The declared name of the function the CLI reaches the log through on AWS. */
export const LOG_OPERATIONS_FUNCTION = "log-operations";

function isCredentialsProblem(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? "";
  return (
    name === "CredentialsProviderError" ||
    name === "ExpiredTokenException" ||
    name === "UnrecognizedClientException" ||
    name === "InvalidClientTokenId" ||
    name === "ExpiredToken" ||
    name === "InvalidSignatureException" ||
    name === "TokenRefreshRequired"
  );
}

/** Reads the stack's outputs: resource names come from there, and only from there. */
async function stackOutputs(
  cfn: CloudFormationClient,
  stack: string,
): Promise<Map<string, string>> {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    const outputs = new Map<string, string>();
    for (const output of Stacks?.[0]?.Outputs ?? []) {
      if (output.OutputKey !== undefined && output.OutputValue !== undefined) {
        outputs.set(output.OutputKey, output.OutputValue);
      }
    }
    return outputs;
  } catch (error) {
    if (isCredentialsProblem(error)) {
      throw new CredentialsError(
        `no usable AWS credentials (${(error as Error).message.split("\n")[0]})`,
        {
          hint: "log in (aws sso login --profile NAME) and pass --profile NAME or set AWS_PROFILE; for the local stack use --session NAME",
          cause: error,
        },
      );
    }
    const message = (error as Error).message ?? "";
    if ((error as { name?: string }).name === "ValidationError" && /does not exist/.test(message)) {
      throw new NotFoundError(`stack ${stack} does not exist in ${await cfn.config.region()}`, {
        hint: "pass --stage dev|prod (stack Duplex-<stage>), --stack NAME, or --region REGION",
        cause: error,
      });
    }
    throw new UnavailableError(`CloudFormation did not answer: ${message}`, { cause: error });
  }
}

/** A deployed stack, from its CloudFormation outputs (see `outputs.ts`). */
export async function openAwsTarget(options: AwsTargetOptions): Promise<Target> {
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined) {
    throw new UsageError("no AWS region", {
      hint: "pass --region eu-west-1, or set AWS_REGION (or a region in your AWS profile)",
    });
  }
  const config = { region };
  const cfn = new CloudFormationClient(config);
  const outputs = await stackOutputs(cfn, options.stack);
  cfn.destroy();
  const missing: string[] = [];
  const get = (key: string): string => {
    const value = outputs.get(key);
    if (value === undefined) {
      if (!OPTIONAL_OUTPUT_KEYS.has(key)) missing.push(key);
      return "";
    }
    return value;
  };
  const commands: Record<string, CommandRoute> = {};
  const ruleTargetDlqs: TargetResources["ruleTargetDlqs"][number][] = [];
  for (const definition of allEventDefinitions().filter((d) => d.critical)) {
    const c = definition.type;
    const queueUrl = get(OUTPUT_KEYS.commandQueueUrl(c));
    const dlqUrl = get(OUTPUT_KEYS.commandDeadLetterQueueUrl(c));
    const deliveryUrl = get(OUTPUT_KEYS.commandDeliveryDeadLetterQueueUrl(c));
    const ruleArn = get(OUTPUT_KEYS.commandRuleArn(c));
    if (queueUrl === "" || dlqUrl === "" || ruleArn === "") continue;
    commands[c] = {
      command: c,
      queue: queueRefFromUrl(queueUrl, region),
      dlq: queueRefFromUrl(dlqUrl, region),
      ruleArn,
      ruleName: ruleArn.split("/").pop() ?? ruleArn,
    };
    if (deliveryUrl !== "")
      ruleTargetDlqs.push({ ...queueRefFromUrl(deliveryUrl, region), command: c });
  }
  const busDlq = get(OUTPUT_KEYS.busDeadLetterQueueUrl);
  if (busDlq !== "") ruleTargetDlqs.push(queueRefFromUrl(busDlq, region));
  const tables = Object.fromEntries(TABLES.map((t) => [t, get(OUTPUT_KEYS.table(t))])) as Record<
    TableName,
    string
  >;
  const resources: TargetResources = {
    region,
    eventBusName: get(OUTPUT_KEYS.eventBusName),
    eventBusArn: get(OUTPUT_KEYS.eventBusArn),
    archiveName: get(OUTPUT_KEYS.archiveName),
    archiveArn: get(OUTPUT_KEYS.archiveArn),
    tables,
    commands,
    ruleTargetDlqs,
  };
  const brokersOverride = process.env.DUPLEX_KAFKA_BROKERS;
  const logVia = options.logVia ?? (brokersOverride === undefined ? "function" : "direct");
  const logOperations = get(OUTPUT_KEYS.functionName(LOG_OPERATIONS_FUNCTION));
  if (missing.length > 0) {
    throw new NotFoundError(
      `stack ${options.stack} lacks the output(s) the CLI needs: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`,
      {
        hint: "deploy the current version of the stack (npx cdk deploy -c stage=<stage>); the contract is bin/cli/target/outputs.ts",
      },
    );
  }
  const lambda = new LambdaClient(config);
  // MSK sits in private subnets without a way in; the log-operations function is in the VPC and
  // answers through Lambda's public, IAM-authenticated Invoke API. A tunnel to the brokers
  // (DUPLEX_KAFKA_BROKERS) or a shell inside the VPC can use them directly.
  const log =
    logVia === "function"
      ? remoteLogClient(lambdaInvoker(lambda, logOperations))
      : createLogClient({
          brokers: (brokersOverride ?? get(OUTPUT_KEYS.kafkaBootstrapBrokers))
            .split(",")
            .map((b) => b.trim())
            .filter((b) => b !== ""),
          auth: "iam",
          region,
          clientId: `duplex-cli-${process.pid}`,
        });
  const admin = log.admin();
  const sqs = new SQSClient(config);
  const eventBridge = new EventBridgeClient(config);
  const dynamo = new DynamoDBClient(config);
  const functionNames = (name: string) => outputs.get(OUTPUT_KEYS.functionName(name));
  const cloudWatch = new CloudWatchClient(config);
  const alarmCount = outputs.get(OUTPUT_KEYS.alarmCount);
  return {
    kind: "aws",
    label: `stack ${options.stack} (${region}${logVia === "function" ? ", log via its log-operations function" : ""})`,
    topicPrefix: "",
    topicEnvironment: "aws",
    resources,
    log,
    admin,
    sqs,
    eventBridge,
    doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    consumers: lambdaConsumerControl(lambda, functionNames),
    cloudWatch,
    platform: awsPlatform({
      lambda,
      cloudWatch,
      physicalName: functionNames,
      alarmPrefix: outputs.get(OUTPUT_KEYS.alarmNamePrefix) ?? `${options.stack.toLowerCase()}-`,
      alarmCount: alarmCount === undefined ? undefined : Number(alarmCount),
    }),
    async close() {
      await closeQueryReader(log).catch(() => undefined);
      await admin.close().catch(() => undefined);
      sqs.destroy();
      eventBridge.destroy();
      dynamo.destroy();
      lambda.destroy();
      cloudWatch.destroy();
    },
  };
}
