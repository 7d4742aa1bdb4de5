import { randomBytes } from "node:crypto";
import { Admin } from "@platformatic/kafka";
import { createLogClient, type LogClientName } from "../../../functions/kit/log/client.ts";
import type { LogAdmin, LogConnection } from "../../../functions/kit/log/port.ts";
import { localEndpoints } from "../../../localstack/stack/index.ts";
import { readState } from "../../../localstack/stack/state.ts";
import { progress, sleep } from "./harness.ts";

/**
 * The bench's own corner of the shared broker: every topic it creates starts with
 * `bench-<id>.`, and {@link BenchLog.cleanup} deletes exactly those at the end.
 */
export class BenchLog {
  readonly id: string;
  readonly prefix: string;
  readonly connection: LogConnection;
  readonly brokers: readonly string[];
  readonly replicationFactor: number;
  #admin: LogAdmin | undefined;
  #touched = false;
  readonly #groups = new Set<string>();

  constructor(id = randomBytes(3).toString("hex")) {
    this.id = id;
    this.prefix = `bench-${id}.`;
    this.brokers = localEndpoints().kafkaBrokers;
    this.connection = { brokers: this.brokers, clientId: `bench-${id}`, auth: "none" };
    this.replicationFactor = (readState()?.brokerCount ?? 1) === 3 ? 3 : 1;
  }

  client(name: LogClientName = "platformatic") {
    return createLogClient(this.connection, name);
  }

  /** Notes that something (e.g. a LocalSession) created topics of this run on the broker. */
  touch(): void {
    this.#touched = true;
  }

  get admin(): LogAdmin {
    this.#touched = true;
    this.#admin ??= this.client("platformatic").admin();
    return this.#admin;
  }

  /** The physical name of a topic of this run. */
  topic(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Creates a topic of this run (if missing) and waits until every partition has a leader. */
  async ensureTopic(name: string, partitions: number): Promise<string> {
    const physical = this.topic(name);
    const existing = await this.admin.listTopics();
    if (!existing.includes(physical)) {
      await this.admin.createTopics([
        { name: physical, partitions, replicationFactor: this.replicationFactor, configs: {} },
      ]);
    }
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        const offsets = await this.admin.topicOffsets(physical);
        if (offsets.length === partitions) return physical;
      } catch {
        // leaders not elected yet
      }
      await sleep(100);
    }
    throw new Error(`topic ${physical} did not get ${partitions} partitions with leaders`);
  }

  /** A consumer group id of this run; deleted by {@link cleanup}. */
  group(name: string): string {
    const id = `${this.prefix}${name}`;
    this.#groups.add(id);
    return id;
  }

  /** Records in a topic (sum of high − low watermarks). */
  async count(physical: string): Promise<number> {
    const offsets = await this.admin.topicOffsets(physical);
    return offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
  }

  /** Deletes every topic and consumer group of this run (nothing to do if it never used Kafka). */
  async cleanup(): Promise<void> {
    if (!this.#touched && this.#groups.size === 0) return;
    if (this.#groups.size > 0) {
      const admin = new Admin({
        clientId: this.connection.clientId,
        bootstrapBrokers: [...this.brokers],
      });
      try {
        const existing = await admin.listGroups();
        const mine = [...this.#groups].filter((g) => existing.has(g));
        if (mine.length > 0) await admin.deleteGroups({ groups: mine });
        progress(`deleted ${mine.length} consumer group(s) ${this.prefix}*`);
      } catch (error) {
        progress(`could not delete consumer groups: ${(error as Error).message}`);
      } finally {
        await admin.close();
      }
    }
    const mine = (await this.admin.listTopics()).filter((t) => t.startsWith(this.prefix));
    if (mine.length > 0) {
      progress(`deleting ${mine.length} topic(s) ${this.prefix}*`);
      await this.admin.deleteTopics(mine).catch((error: unknown) => {
        progress(`could not delete topics: ${(error as Error).message}`);
      });
    }
    await this.#admin?.close();
    this.#admin = undefined;
  }
}
