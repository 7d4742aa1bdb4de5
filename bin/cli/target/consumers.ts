/**
 * Stopping and restarting what reads a consumer group, so its offsets can be moved (Kafka refuses
 * to move the offsets of a group with members) or a projection can be handed over:
 *
 * - locally, the session's control endpoint stops the host's pollers of that group;
 * - on AWS, the function's event source mapping for that topic is disabled, then enabled.
 */
export interface ConsumerControl {
  /** Stops the group's consumers; resolves once the platform says they are stopped. */
  stop(groupId: string): Promise<void>;
  start(groupId: string): Promise<void>;
  /** Why stopping is impossible here (no control endpoint...), or undefined when it is possible. */
  unavailableReason(): string | undefined;
}
