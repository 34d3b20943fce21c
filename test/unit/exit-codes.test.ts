// The exit-code tables in code are the ones docs/exit-codes.md shows, and --help prints them without markdown.
import { describe, expect, it } from "vitest";
import { exitCodesHelp, exitCodesMarkdown, REGISTRATOR_EXIT_CODES, RENDER_EXIT_CODES, SERVER_EXIT_CODES, CATALOG_EXIT_CODES } from "../../src/core/exit-codes.js";
import { EXIT_CONFIG, EXIT_TEMPLATE, EXIT_USAGE } from "../../src/core/exit-codes.js";
import { markedSection, readDoc } from "../support/docs.js";

const PAGE = readDoc("docs/exit-codes.md");

describe("docs/exit-codes.md tables", () => {
  const rows: Array<[string, string, typeof RENDER_EXIT_CODES]> = [
    ["render", "render", RENDER_EXIT_CODES],
    ["registrator", "registrator", REGISTRATOR_EXIT_CODES],
    ["dns", "dns", SERVER_EXIT_CODES],
    ["catalog", "catalog", CATALOG_EXIT_CODES],
  ];
  rows.forEach(([name, sec, table], i) =>
    it(`${i}_${name}_table_is_the_one_in_code`, () => {
      expect(markedSection(PAGE, sec)).toContain(exitCodesMarkdown(table));
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
