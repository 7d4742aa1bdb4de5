import { ArnFormat, Fn, Stack } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * ARNs of an MSK cluster's Kafka resources, as MSK IAM access control names them:
 * `arn:aws:kafka:<region>:<account>:topic/<cluster-name>/<cluster-uuid>/<topic>` and the same with
 * `group/` for consumer groups. The cluster UUID is the last segment of the cluster ARN, so every
 * ARN here is exact.
 *
 * @example
 * ```ts
 * const arns = new KafkaArns(this, cluster.attrArn, "duplex-dev");
 * new PolicyStatement({ actions: ["kafka-cluster:ReadData"], resources: [arns.topic("order-events")] });
 * ```
 */
export class KafkaArns {
  /** ARN of the cluster itself. */
  readonly cluster: string;
  private readonly scope: IConstruct;
  private readonly clusterName: string;
  private readonly clusterUuid: string;

  constructor(scope: IConstruct, clusterArn: string, clusterName: string) {
    this.scope = scope;
    this.cluster = clusterArn;
    this.clusterName = clusterName;
    this.clusterUuid = Fn.select(2, Fn.split("/", clusterArn));
  }

  /** ARN of a topic. */
  topic(name: string): string {
    return this.format("topic", name);
  }

  /** ARN of a consumer group. */
  group(name: string): string {
    return this.format("group", name);
  }

  private format(resource: "topic" | "group", name: string): string {
    return Stack.of(this.scope).formatArn({
      service: "kafka",
      resource,
      resourceName: `${this.clusterName}/${this.clusterUuid}/${name}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}
