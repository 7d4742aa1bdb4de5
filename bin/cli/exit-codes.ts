/**
 * Exit codes of `duplex`, the same for every command (documented in `docs/runbook.md`):
 *
 * | code | meaning |
 * |---|---|
 * | 0 | done; nothing to report |
 * | 1 | done, and found something the operator must look at: differences (`topics diff`, `projection verify`), a replay that ended FAILED/CANCELLED, messages left behind by a redrive |
 * | 2 | bad usage: unknown flag, bad value, `--from` after `--to`; nothing was started |
 * | 3 | not found: unknown session, stack, consumer group, projection, replay, queue or topic |
 * | 4 | no AWS credentials, or they were refused |
 * | 5 | a dependency is unreachable: the local stack is down, Kafka or an AWS endpoint does not answer |
 * | 6 | refused because of the system's state: a consumer group is active, a rebuild is in progress |
 * | 7 | timed out waiting (for a group to empty, a rebuild to catch up, a replay to finish) |
 * | 130 | interrupted (Ctrl-C); what was started goes on (`duplex replay status NAME`) |
 */
export const EXIT = {
  ok: 0,
  attention: 1,
  usage: 2,
  notFound: 3,
  credentials: 4,
  unavailable: 5,
  refused: 6,
  timeout: 7,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
