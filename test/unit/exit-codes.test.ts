// The exit-code tables in code are the ones README.md shows, and --help prints them without markdown.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exitCodesHelp, exitCodesMarkdown, REGISTRATOR_EXIT_CODES, RENDER_EXIT_CODES, SERVER_EXIT_CODES, CATALOG_EXIT_CODES } from "../../src/core/exit-codes.js";
import { EXIT_CONFIG, EXIT_TEMPLATE, EXIT_USAGE } from "../../src/core/exit-codes.js";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** The body of README section `name` (between its <!-- section:name --> markers). */
function section(name: string): string {
  const start = README.indexOf(`<!-- section:${name} -->`);
  const end = README.indexOf(`<!-- /section:${name} -->`);
  expect(start, `README section ${name}`).toBeGreaterThanOrEqual(0);
  return README.slice(start, end);
}

describe("README exit-code tables", () => {
  const rows: Array<[string, string, typeof RENDER_EXIT_CODES]> = [
    ["render", "render", RENDER_EXIT_CODES],
    ["registrator", "registrator", REGISTRATOR_EXIT_CODES],
    ["dns", "dns", SERVER_EXIT_CODES],
    ["catalog", "catalog", CATALOG_EXIT_CODES],
  ];
  rows.forEach(([name, sec, table], i) =>
    it(`${i}_${name}_table_is_the_one_in_code`, () => {
      expect(section(sec)).toContain(exitCodesMarkdown(table));
    }),
  );
});

describe("exitCodesHelp", () => {
  it("0_one_line_per_code_no_markdown", () => {
    const text = exitCodesHelp(RENDER_EXIT_CODES);
    expect(text.split("\n")).toHaveLength(RENDER_EXIT_CODES.length + 1);
    expect(text).not.toMatch(/[`*]/);
    expect(text).toMatch(/\n {2}64 +usage:/);
  });
  it("1_named_constants_are_the_table_codes", () => {
    const codes = RENDER_EXIT_CODES.map((r) => r.code);
    for (const c of [EXIT_USAGE, EXIT_TEMPLATE, EXIT_CONFIG]) expect(codes).toContain(c);
  });
});
