/**
 * Availability Zones by **id**. AZ names (`us-east-1a`) map to different physical zones in each
 * account; AZ ids (`use1-az1`) name the same zone everywhere, so a stage that pins its subnets by
 * id lands in the same zones in every account. Some services refuse some zone ids: MSK's
 * `BrokerNodeGroupInfo.ClientSubnets` "can't occupy the Availability Zone with ID use1-az3"
 * (MSK API reference, CreateCluster / BrokerNodeGroupInfo). Pure: no CDK here.
 */

/** Zone ids MSK refuses for client subnets (MSK API reference, BrokerNodeGroupInfo.ClientSubnets). */
export const MSK_UNSUPPORTED_AZ_IDS: ReadonlySet<string> = new Set(["use1-az3"]);

/** The shape of an AZ id: a region code, `-az` and a number (`use1-az1`, `euw1-az3`, `apne1-az4`). */
export const AZ_ID_PATTERN = /^[a-z]{2,5}\d-az\d{1,2}$/;

/** An AZ id that cannot be used, with why. */
export class AvailabilityZoneIdError extends Error {
  readonly azId: string;
  constructor(azId: string, detail: string) {
    super(`availability zone id '${azId}': ${detail}`);
    this.name = "AvailabilityZoneIdError";
    this.azId = azId;
  }
}

/**
 * Why a list of AZ ids cannot hold the MSK brokers (and the functions next to them), or undefined
 * when it can: three distinct ids of one region (the same code before `-az`), none refused by MSK.
 *
 * @example
 * ```ts
 * problemWithAzIds(["use1-az1", "use1-az2", "use1-az3"]);
 * // "availability zone id 'use1-az3': MSK does not place brokers there (MSK API reference: ...)"
 * ```
 */
export function problemWithAzIds(ids: readonly string[]): string | undefined {
  if (ids.length !== 3) return `expected three AZ ids, got ${ids.length}`;
  for (const id of ids) {
    if (!AZ_ID_PATTERN.test(id)) {
      return new AvailabilityZoneIdError(id, "not an AZ id such as use1-az1 or euw1-az2").message;
    }
    if (MSK_UNSUPPORTED_AZ_IDS.has(id)) {
      return new AvailabilityZoneIdError(
        id,
        "MSK does not place brokers there (MSK API reference, BrokerNodeGroupInfo.ClientSubnets); pick another zone of the region",
      ).message;
    }
  }
  if (new Set(ids).size !== ids.length) return `lists an AZ id twice (${ids.join(", ")})`;
  const regions = new Set(ids.map(regionCodeOf));
  if (regions.size !== 1) {
    return `mixes regions (${[...regions].join(", ")}): all three AZ ids must be in one region`;
  }
  return undefined;
}

/** The region code of an AZ id (`use1` of `use1-az4`). */
export function regionCodeOf(azId: string): string {
  return azId.slice(0, azId.indexOf("-az"));
}
