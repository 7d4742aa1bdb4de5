import type { LogAdmin, LogClient } from "../log/port.ts";

/**
 * What reading the log as an operator needs: a client, its admin, and the namespace of the
 * deployment (empty on AWS, `<session>.` locally). The CLI's targets, the console and the query
 * API each have one, so all three read the log through the same code.
 */
export interface LogAccess {
  readonly log: LogClient;
  readonly admin: LogAdmin;
  /** Prefix of topics and consumer groups. */
  readonly topicPrefix: string;
}
