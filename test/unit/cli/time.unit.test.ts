import { describe, expect, it } from "vitest";
import { UsageError } from "../../../bin/cli/errors.ts";
import { durationOption, parseDuration, parseTime, parseWindow } from "../../../bin/cli/time.ts";

const now = new Date("2026-11-23T12:00:00.000Z");

describe("time parsing", () => {
  it("reads durations", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("2d")).toBe(172_800_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
  });

  it("reads relative times as 'that long ago'", () => {
    expect(parseTime("--from", "2h", now).toISOString()).toBe("2026-11-23T10:00:00.000Z");
    expect(parseTime("--from", "-30m", now).toISOString()).toBe("2026-11-23T11:30:00.000Z");
    expect(parseTime("--from", "15m ago", now).toISOString()).toBe("2026-11-23T11:45:00.000Z");
    expect(parseTime("--to", "now", now).toISOString()).toBe(now.toISOString());
  });

  it("reads ISO times, UTC when no offset is given", () => {
    expect(parseTime("--at", "2026-11-23T10:15:00Z", now).toISOString()).toBe(
      "2026-11-23T10:15:00.000Z",
    );
    expect(parseTime("--at", "2026-11-23 10:15", now).toISOString()).toBe(
      "2026-11-23T10:15:00.000Z",
    );
    expect(parseTime("--at", "2026-11-23T10:15:00+02:00", now).toISOString()).toBe(
      "2026-11-23T08:15:00.000Z",
    );
    expect(parseTime("--at", "2026-11-23", now).toISOString()).toBe("2026-11-23T00:00:00.000Z");
  });

  it("refuses what is not a time, naming the flag and saying what to write", () => {
    const error = (() => {
      try {
        parseTime("--from", "yesterday-ish", now);
      } catch (e) {
        return e;
      }
    })() as UsageError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe("--from 'yesterday-ish' is not a time");
    expect(error.hint).toMatch(/--from 2h/);
    expect(() => durationOption("--watch", "often")).toThrow(/--watch 'often' is not a duration/);
  });
});

describe("time windows", () => {
  it("defaults --to to now", () => {
    expect(parseWindow({ from: "1h" }, now)).toEqual({
      from: new Date("2026-11-23T11:00:00Z"),
      to: now,
    });
  });

  it("refuses --from after --to before anything starts, and says to swap them", () => {
    expect(() => parseWindow({ from: "1h", to: "2h" }, now)).toThrow(UsageError);
    try {
      parseWindow({ from: "1h", to: "2h" }, now);
    } catch (error) {
      expect((error as UsageError).message).toMatch(
        /--from 2026-11-23T11:00:00.000Z is not before --to 2026-11-23T10:00:00.000Z/,
      );
      expect((error as UsageError).hint).toBe("swap them: --from 2h --to 1h");
      expect((error as UsageError).exitCode).toBe(2);
    }
  });

  it("refuses an empty window and the future", () => {
    expect(() => parseWindow({ from: "1h", to: "1h" }, now)).toThrow(/window is empty/);
    expect(() => parseWindow({ from: "1h", to: "2026-11-24T00:00:00Z" }, now)).toThrow(
      /--to .* is in the future/,
    );
  });
});
