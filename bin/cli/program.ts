import { Command, Option } from "commander";
import { registerConsole } from "./commands/console.ts";
import { registerDlq } from "./commands/dlq.ts";
import { registerDoctor } from "./commands/doctor.ts";
import { registerLag } from "./commands/lag.ts";
import { registerProjection } from "./commands/projection.ts";
import { registerPublish } from "./commands/publish.ts";
import { registerReplay } from "./commands/replay.ts";
import { registerState } from "./commands/state.ts";
import { registerTopics } from "./commands/topics.ts";
import { registerTrace } from "./commands/trace.ts";

/**
 * The `duplex` program: global options choose the target and the output; each command group is
 * registered from its own module under `commands/`.
 */
export function buildProgram(): Command {
  const program = new Command("duplex")
    .description(
      "Operate Duplex: replay from the EventBridge archive or the log, rebuild projections, inspect and redrive dead letters, watch lag — against a local session or a deployed stack.",
    )
    .addOption(
      new Option(
        "--session <name>",
        "local session to work on (.duplex/sessions/<name>.json); default demo",
      ),
    )
    .addOption(new Option("--stage <stage>", "AWS: the deployed stage (stack Duplex-<stage>)"))
    .addOption(new Option("--stack <name>", "AWS: the CloudFormation stack, if not Duplex-<stage>"))
    .addOption(new Option("--region <region>", "AWS: region (default: AWS_REGION / your profile)"))
    .addOption(new Option("--profile <profile>", "AWS: named profile (default: AWS_PROFILE)"))
    .addOption(
      new Option(
        "--log-via <how>",
        "how to reach Kafka: direct (the brokers) or function (the log-operations function); default direct locally, function on AWS (direct if DUPLEX_KAFKA_BROKERS is set); also DUPLEX_LOG_VIA",
      ).choices(["direct", "function"]),
    )
    .option("--json", "one JSON document on stdout, for scripts")
    .option("--no-color", "no colours (also: NO_COLOR, or output that is not a TTY)")
    .option("-y, --yes", "do not ask for confirmation")
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      `
Targets:
  (default)            the local session 'demo' (npm start)
  --session t1a2b3c    another local session
  --stage prod         the stack Duplex-prod on AWS (credentials and region from the AWS environment);
                       Kafka through its log-operations function (lambda:InvokeFunction is all it takes)

Exit codes: 0 ok · 1 needs attention (differences, failed replay, messages left) · 2 bad usage ·
3 not found · 4 AWS credentials · 5 unreachable · 6 refused (state) · 7 timed out · 130 interrupted

Runbook: docs/runbook.md`,
    );
  registerReplay(program);
  registerProjection(program);
  registerDlq(program);
  registerLag(program);
  registerTopics(program);
  registerPublish(program);
  registerTrace(program);
  registerState(program);
  registerConsole(program);
  registerDoctor(program);
  return program;
}
