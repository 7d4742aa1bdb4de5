import type { Command } from "commander";
import { run } from "../context.ts";
import { CHECKS, type CheckResult } from "../doctor/checks.ts";
import { EXIT } from "../exit-codes.ts";

const MARK: Record<CheckResult["status"], string> = {
  pass: "ok  ",
  fail: "FAIL",
  warn: "warn",
  skip: "skip",
};

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description(
      "Check a deployed stage (or a local session) after a deploy: every event source mapping enabled and consuming, every rule with its target and DLQ, topics as the catalog says, every DLQ empty, alarms present and not in ALARM. One line per check; exit 1 if any fails.",
    )
    .addHelpText(
      "after",
      `
Examples:
  duplex doctor                 the local session 'demo'
  duplex doctor --stage prod    after 'cdk deploy -c stage=prod'
  duplex doctor --stage dev --json | jq '.checks[] | select(.status == "fail")'`,
    )
    .action(async (_options: unknown, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        const { style } = ctx.out;
        const results: CheckResult[] = [];
        const paint = (r: CheckResult) =>
          r.status === "pass"
            ? style.green(MARK.pass)
            : r.status === "fail"
              ? style.red(MARK.fail)
              : r.status === "warn"
                ? style.yellow(MARK.warn)
                : style.dim(MARK.skip);
        const report = (r: CheckResult) => {
          results.push(r);
          ctx.out.line(`${paint(r)}  ${r.check}: ${r.detail}`);
        };
        ctx.out.note(`doctor: ${target.label}`);
        for (const check of CHECKS) {
          try {
            await check(target, report);
          } catch (error) {
            report({
              check: check.name.replace(/^check/, "").toLowerCase(),
              status: "fail",
              detail: `could not check: ${error instanceof Error ? error.message : String(error)}`,
            });
          }
        }
        const failed = results.filter((r) => r.status === "fail").length;
        ctx.out.line(
          failed === 0
            ? style.green(`${target.label}: healthy (${results.length} checks)`)
            : style.red(`${target.label}: ${failed} of ${results.length} checks failed`),
        );
        ctx.out.result({ target: target.label, ok: failed === 0, failed, checks: results });
        return failed === 0 ? EXIT.ok : EXIT.attention;
      }),
    );
}
