import { Duration } from "aws-cdk-lib";
import { Archive, EventBus, Rule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import {
  AnyPrincipal,
  ArnPrincipal,
  Effect,
  PolicyStatement,
  ServicePrincipal,
} from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DeadLetterQueue, WorkQueue } from "./queues.ts";

/** What the fast lane needs to know about one critical command. */
export interface FastLaneCommand {
  /** The command type; rules match it on `detail-type`. */
  readonly command: string;
  /** Visibility timeout of its queue (≥ 6× the handler's timeout). */
  readonly visibilityTimeout: Duration;
  /** Receives before a message moves to the queue's DLQ. */
  readonly maxReceiveCount: number;
}

/** The resources of one command on the fast lane. */
export interface FastLaneChannel {
  readonly command: string;
  readonly rule: Rule;
  /** The queue the command's handler consumes. */
  readonly queue: Queue;
  /** Where the queue moves messages its handler keeps failing. */
  readonly deadLetterQueue: Queue;
  /** Where EventBridge puts events it could not deliver to the queue. */
  readonly deliveryDeadLetterQueue: Queue;
}

/** Properties of {@link FastLane}. */
export interface FastLaneProps {
  /** Name of the custom event bus. */
  readonly busName: string;
  /** Prefix of queue names, e.g. `duplex-dev`. */
  readonly queueNamePrefix: string;
  /** One entry per critical command of the catalog. */
  readonly commands: readonly FastLaneCommand[];
  /** Key of the bus and every queue. */
  readonly encryptionKey: IKey;
  /**
   * Key of the archive. It must differ from the bus key: the archive's key policy names the bus,
   * and the bus names its key, which would be a dependency cycle with one key.
   *
   * @default - an AWS owned key
   */
  readonly archiveKey?: IKey;
  /**
   * How long the archive keeps events for replay; `Duration.days(0)` keeps them forever.
   *
   * @default Duration.days(7)
   */
  readonly archiveRetention?: Duration;
  /**
   * Retention of the command queues.
   *
   * @default Duration.days(4)
   */
  readonly queueRetention?: Duration;
  /**
   * Retention of the dead-letter queues.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
  /**
   * Retries of a rule target before the event goes to the target's DLQ.
   *
   * @default 185 (the EventBridge maximum)
   */
  readonly targetRetryAttempts?: number;
  /**
   * Oldest event a rule target still tries to deliver.
   *
   * @default Duration.hours(24) (the EventBridge maximum)
   */
  readonly targetMaxEventAge?: Duration;
}

/**
 * The fast lane: a custom event bus (encrypted with a customer-managed key) with an archive for
 * replays, and one rule per critical command matching its `detail-type` and delivering to that
 * command's own queue. Every queue is encrypted and TLS-only and has a dead-letter queue; every
 * rule target has a retry policy and a dead-letter queue of its own. Only the producers admitted
 * with {@link FastLane.admitProducers} may put events on the bus.
 *
 * @example
 * ```ts
 * const lane = new FastLane(this, "FastLane", {
 *   busName: "duplex-dev", queueNamePrefix: "duplex-dev", encryptionKey: keys.messaging,
 *   commands: [{ command: "PlaceOrderRequested", visibilityTimeout: Duration.minutes(3), maxReceiveCount: 5 }],
 * });
 * lane.admitProducers([sagaFunction.role!.roleArn]);
 * ```
 */
export class FastLane extends Construct {
  readonly bus: EventBus;
  /** Events EventBridge could not encrypt or decrypt with the bus key (AWS's recommendation). */
  readonly busDeadLetterQueue: Queue;
  readonly archive: Archive;
  private readonly channels = new Map<string, FastLaneChannel>();
  private producersAdmitted = false;

  constructor(scope: Construct, id: string, props: FastLaneProps) {
    super(scope, id);
    const busDeadLetters = new DeadLetterQueue(this, "BusDeadLetters", {
      queueName: `${props.queueNamePrefix}-bus-dlq`,
      encryptionKey: props.encryptionKey,
      source: "event-bus",
      retentionPeriod: props.deadLetterRetention,
    });
    this.busDeadLetterQueue = busDeadLetters.queue;
    this.bus = new EventBus(this, "Bus", {
      eventBusName: props.busName,
      description: "Duplex fast lane: critical commands only",
      kmsKey: props.encryptionKey,
      deadLetterQueue: busDeadLetters.queue,
    });
    busDeadLetters.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowTheBusToDeadLetter",
        principals: [new ServicePrincipal("events.amazonaws.com")],
        actions: ["sqs:SendMessage"],
        resources: [busDeadLetters.queue.queueArn],
        conditions: { ArnEquals: { "aws:SourceArn": this.bus.eventBusArn } },
      }),
    );
    const commands = props.commands.map((c) => c.command);
    const retention = props.archiveRetention ?? Duration.days(7);
    this.archive = new Archive(this, "Archive", {
      sourceEventBus: this.bus,
      archiveName: `${props.busName}-commands`,
      description: "Every critical command put on the fast lane, for replays",
      eventPattern: { detailType: commands },
      retention: retention.toDays() === 0 ? undefined : retention,
      kmsKey: props.archiveKey,
    });

    for (const spec of props.commands) {
      const scope = new Construct(this, spec.command);
      const deadLetterQueue = new DeadLetterQueue(scope, "DeadLetters", {
        queueName: `${props.queueNamePrefix}-${spec.command}-dlq`,
        encryptionKey: props.encryptionKey,
        source: "queue-redrive",
        retentionPeriod: props.deadLetterRetention,
      });
      const work = new WorkQueue(scope, "Commands", {
        queueName: `${props.queueNamePrefix}-${spec.command}`,
        encryptionKey: props.encryptionKey,
        visibilityTimeout: spec.visibilityTimeout,
        retentionPeriod: props.queueRetention,
        deadLetterQueue,
        maxReceiveCount: spec.maxReceiveCount,
      });
      const deliveryDeadLetters = new DeadLetterQueue(scope, "DeliveryDeadLetters", {
        queueName: `${props.queueNamePrefix}-${spec.command}-delivery-dlq`,
        encryptionKey: props.encryptionKey,
        source: "rule-target",
        retentionPeriod: props.deadLetterRetention,
      });
      const rule = new Rule(scope, "Rule", {
        eventBus: this.bus,
        ruleName: spec.command,
        description: `${spec.command} → its queue`,
        eventPattern: { detailType: [spec.command] },
        targets: [
          new SqsQueue(work.queue, {
            deadLetterQueue: deliveryDeadLetters.queue,
            retryAttempts: props.targetRetryAttempts ?? 185,
            maxEventAge: props.targetMaxEventAge ?? Duration.hours(24),
          }),
        ],
      });
      this.channels.set(spec.command, {
        command: spec.command,
        rule,
        queue: work.queue,
        deadLetterQueue: deadLetterQueue.queue,
        deliveryDeadLetterQueue: deliveryDeadLetters.queue,
      });
    }
  }

  /** The channel of a command. */
  channel(command: string): FastLaneChannel {
    const channel = this.channels.get(command);
    if (channel === undefined) throw new Error(`no fast-lane channel for ${command}`);
    return channel;
  }

  /** Every channel, in catalog order. */
  allChannels(): readonly FastLaneChannel[] {
    return [...this.channels.values()];
  }

  /**
   * Sets the bus policy: the given roles may put events, every other principal is denied
   * (including principals of this account whose IAM policies would otherwise allow it). AWS
   * services acting for EventBridge itself (archive replays) are not affected. Call once.
   */
  admitProducers(roleArns: readonly string[]): void {
    if (this.producersAdmitted) throw new Error("admitProducers may be called only once");
    if (roleArns.length === 0) throw new Error("the fast lane needs at least one producer role");
    this.producersAdmitted = true;
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: "AdmitProducers",
        effect: Effect.ALLOW,
        principals: roleArns.map((arn) => new ArnPrincipal(arn)),
        actions: ["events:PutEvents"],
        resources: [this.bus.eventBusArn],
      }),
    );
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: "DenyEveryoneElse",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["events:PutEvents"],
        resources: [this.bus.eventBusArn],
        conditions: {
          ArnNotEquals: { "aws:PrincipalArn": [...roleArns] },
          Bool: { "aws:PrincipalIsAWSService": "false" },
        },
      }),
    );
  }
}
