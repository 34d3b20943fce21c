// parseMustache builds the same token tree as mustache.js's Mustache.parse, and fails with the same messages:
// fixed cases, then generated templates mixing every tag type, whitespace, newlines and delimiter changes.
import Mustache from "mustache";
import { describe, expect, it } from "vitest";
import { parseMustache } from "../../src/render/mustache-parse.js";

function reference(src: string): { tokens?: unknown; error?: string } {
  try {
    return { tokens: JSON.parse(JSON.stringify(Mustache.parse(src, ["{{", "}}"]))) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function ours(src: string): { tokens?: unknown; error?: string } {
  try {
    return { tokens: JSON.parse(JSON.stringify(parseMustache(src))) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const fixed: Array<[string, string]> = [
  ["plain", "hello {{NAME}}:{{PORT}}\n"],
  ["standalone_section_lines", "a\n  {{#ON}}  \nb\n\t{{/ON}}\r\nc\n"],
  ["inline_section_keeps_space", "a {{#ON}} b {{/ON}} c"],
  ["comment_line", "x\n  {{! note }}\ny"],
  ["triple_and_ampersand", "{{{ RAW }}} {{& RAW}} {{{x}}}"],
  ["delimiter_change", "{{=<% %>=}}\n<% NAME %> {{NAME}}\n<%={{ }}=%>{{x}}"],
  ["partial", "  {{> part}}\nx {{>part}}"],
  ["nested_sections", "{{#a}}\n{{#b}}\n{{c}}\n{{/b}}\n{{/a}}\n"],
  ["unicode_spaces", "a\u00a0\u2028{{#x}}\u00a0\n{{/x}}\u3000b"],
  ["unclosed_tag", "a\n{{NAME"],
  ["unclosed_section", "a\n{{#x}}\nb"],
  ["unopened_section", "{{/x}}"],
  ["mismatched_section", "{{#x}}{{/y}}"],
  ["invalid_tags", "{{=<%=}}"],
  ["empty", ""],
  ["only_text", "no tags at all\n\n"],
];

describe("parseMustache equals Mustache.parse", () => {
  fixed.forEach(([name, src], i) => it(`${i}_${name}`, () => expect(ours(src)).toEqual(reference(src))));

  it(`${fixed.length}_generated_templates`, () => {
    const parts = ["{{", "}}", "{{#a}}", "{{/a}}", "{{^b}}", "{{/b}}", "{{x}}", "{{{y}}}", "{{&z}}", "{{! c }}", "{{=<% %>=}}", "<%={{ }}=%>", "<% x %>", "{{>p}}", " ", "  ", "\t", "\n", "\r\n", "text", "a b ", " c\nd ", "}", "{", "=", "\u00a0"];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let errors = 0;
    for (let n = 0; n < 5000; n++) {
      let src = "";
      const len = 1 + rand(14);
      for (let k = 0; k < len; k++) src += parts[rand(parts.length)];
      const want = reference(src);
      if (want.error) errors++;
      expect(ours(src), JSON.stringify(src)).toEqual(want);
    }
    expect(errors).toBeGreaterThan(100); // the generator reaches the error paths too
    expect(errors).toBeLessThan(4900); // and the valid ones
  });
});
