import { describe, expect, it } from "vitest";
import { age, count, duration, rate } from "../../../bin/cli/output/format.ts";
import { progressBar } from "../../../bin/cli/output/progress.ts";
import { createStyle, stripAnsi } from "../../../bin/cli/output/style.ts";
import { renderTable } from "../../../bin/cli/output/table.ts";

describe("tables", () => {
  it("aligns columns, numbers to the right", () => {
    expect(
      renderTable(
        [{ header: "group" }, { header: "lag", right: true }],
        [
          ["a", "12"],
          ["bbb", "3"],
        ],
      ),
    ).toBe(["group  lag", "a       12", "bbb      3"].join("\n"));
  });

  it("ignores colour escapes when measuring, and cuts long cells", () => {
    const style = createStyle(true);
    const table = renderTable(
      [{ header: "x" }, { header: "reason", max: 8 }],
      [[style.red("ab"), "a very long reason"]],
    );
    expect(stripAnsi(table).split("\n")).toEqual(["x   reason", "ab  a very …"]);
  });

  it("renders empty tables as their header", () => {
    expect(renderTable([{ header: "a" }, { header: "b" }], [])).toBe("a  b");
  });
});

describe("colours", () => {
  it("are plain text when disabled", () => {
    expect(createStyle(false).red("x")).toBe("x");
    expect(createStyle(true).red("x")).toBe("\u001b[31mx\u001b[39m");
  });
});

describe("formats", () => {
  it("durations, ages, counts and rates for people", () => {
    expect(duration(850)).toBe("850 ms");
    expect(duration(12_000)).toBe("12 s");
    expect(duration(245_000)).toBe("4 m 05 s");
    expect(duration(3 * 3_600_000 + 12 * 60_000)).toBe("3 h 12 m");
    expect(duration(50 * 3_600_000)).toBe("2 d 2 h");
    expect(age("2026-11-23T11:59:00Z", Date.parse("2026-11-23T12:00:00Z"))).toBe("1 m 00 s");
    expect(age(undefined)).toBe("—");
    expect(count(1234567)).toBe("1,234,567");
    expect(rate(12.34)).toBe("12.3/s");
    expect(rate(1234.5)).toBe("1235/s");
  });

  it("progress bars", () => {
    expect(progressBar(0.5, 10)).toBe("█████░░░░░");
    expect(progressBar(2, 4)).toBe("████");
    expect(progressBar(Number.NaN, 4)).toBe("░░░░");
  });
});
