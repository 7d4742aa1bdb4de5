import { describe, expect, it } from "vitest";
import { drillCatalog } from "../../localstack/drills/catalog.ts";
import { ResourceNameError } from "../../localstack/host/errors.ts";
import { localResourceNames } from "../../localstack/host/resources.ts";

describe("localResourceNames", () => {
  it("given every drill's session, when its resources are named, then the archive fits EventBridge's 48 characters", () => {
    for (const drill of drillCatalog) {
      const names = localResourceNames({
        prefix: `duplex-drill-${drill.name}`,
        commands: ["ScheduleDeliveryRequested"],
      });
      expect(names.archiveName.length).toBeLessThanOrEqual(48);
    }
  });

  it("given a prefix too long for an archive name, then it fails naming the prefix and the limit", () => {
    const tooLong = () => localResourceNames({ prefix: `duplex-${"x".repeat(40)}`, commands: [] });
    expect(tooLong).toThrow(/prefix 'duplex-x+' is too long: .* 48/);
    expect(tooLong).toThrow(ResourceNameError);
  });
});
