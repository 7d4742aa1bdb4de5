import { afterEach, describe, expect, it } from "vitest";
import { InvalidEnvironmentVariableError } from "../../../functions/kit/errors.ts";
import { fastLaneDeadlineSeconds, maxRedeliveries } from "../../../functions/kit/settings.ts";

describe("settings read from the environment", () => {
  afterEach(() => {
    delete process.env.DUPLEX_FAST_LANE_MAX_REDELIVERIES;
    delete process.env.DUPLEX_FAST_LANE_DEADLINE_SECONDS;
  });

  it("reads the redelivery limit as a count and says so when it is not one", () => {
    expect(maxRedeliveries()).toBe(3);
    process.env.DUPLEX_FAST_LANE_MAX_REDELIVERIES = "5";
    expect(maxRedeliveries()).toBe(5);
    for (const bad of ["2.5", "0", "-1", "many"]) {
      process.env.DUPLEX_FAST_LANE_MAX_REDELIVERIES = bad;
      expect(() => maxRedeliveries()).toThrow(
        new InvalidEnvironmentVariableError(
          "DUPLEX_FAST_LANE_MAX_REDELIVERIES",
          "a positive whole number (a count)",
        ),
      );
    }
  });

  it("reads durations as seconds, fractions allowed", () => {
    process.env.DUPLEX_FAST_LANE_DEADLINE_SECONDS = "0.5";
    expect(fastLaneDeadlineSeconds()).toBe(0.5);
    process.env.DUPLEX_FAST_LANE_DEADLINE_SECONDS = "soon";
    expect(() => fastLaneDeadlineSeconds()).toThrow(/a positive number of seconds/);
  });
});
