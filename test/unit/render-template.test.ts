import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { MAX_SECTION_DEPTH } from "../../src/render/mustache-parse.js";
import { TemplateOutputTooLargeError, TemplateSyntaxError } from "../../src/render/run-errors.js";
import { ServiceDirectory, usedServiceNames } from "../../src/render/services.js";
import { formatFor, renderTemplate, ViewVar } from "../../src/render/template.js";

const v = (value: string, typed: unknown = value, secret = false) => new ViewVar(value, typed, secret);

function inst(name: string, address: string, port: number, health: Instance["health"] = "passing", id = `h:${name}-${address}:${port}`): Instance {
  return { id, name, address, port, protocol: "tcp", tags: [], meta: {}, checks: [], health, owner: "h" };
}

const services = new ServiceDirectory({
  version: 3,
  instances: [
    inst("mongodb", "10.0.0.2", 27017),
    inst("mongodb", "10.0.0.1", 27018),
    inst("mongodb", "10.0.0.1", 27017),
    inst("mongodb", "10.0.0.9", 27017, "critical"),
    inst("redis", "fd00::1", 6379),
  ],
});

const view = {
  NAME: v("push"),
  PORT: v("8080", 8080),
  DEBUG: v("false", false),
  ON: v("true", true),
  PEERS: v("a:1,b:2", [
    { host: "a", port: 1, address: "a:1" },
    { host: "b", port: 2, address: "b:2" },
  ]),
  EMPTY: v("", undefined),
  PASSWORD: v("s3cret", "s3cret", true),
  TIMEOUT: v("15s", 15000),
  HOSTILE: v('$(touch /tmp/x) `id` {{NAME}} "q" \'s\' <b>&amp;\nline2\\'),
  LIST: v("x,y", ["x", "y"]),
  value: v("outer"),
  services,
};

const text: Array<{ name: string; src: string; out: string; used?: string[] }> = [
  { name: "plain", src: "hello {{NAME}}:{{PORT}}", out: "hello push:8080", used: ["NAME", "PORT"] },
  { name: "no_html_escaping", src: "{{HOSTILE}}", out: '$(touch /tmp/x) `id` {{NAME}} "q" \'s\' <b>&amp;\nline2\\' },
  { name: "triple_same_as_double_in_text", src: "{{{HOSTILE}}}|{{&NAME}}", out: '$(touch /tmp/x) `id` {{NAME}} "q" \'s\' <b>&amp;\nline2\\|push' },
  { name: "bool_false_section_falsy", src: "{{#DEBUG}}debug{{/DEBUG}}{{^DEBUG}}quiet{{/DEBUG}}", out: "quiet" },
  { name: "bool_true_section", src: "{{#ON}}on{{/ON}}", out: "on" },
  { name: "empty_optional_is_falsy", src: "[{{#EMPTY}}x{{/EMPTY}}{{^EMPTY}}none{{/EMPTY}}][{{EMPTY}}]", out: "[none][]" },
  { name: "hostports_list_with_separators", src: "{{#PEERS}}{{host}}={{port}}{{^last}},{{/last}}{{/PEERS}}", out: "a=1,b=2" },
  { name: "first_index_number", src: "{{#PEERS}}{{#first}}>{{/first}}{{index}}/{{number}} {{/PEERS}}", out: ">0/1 1/2 " },
  {
    name: "services_sorted_passing_only",
    src: "{{#services.mongodb}}{{address}}:{{port}}{{^last}},{{/last}}{{/services.mongodb}}",
    out: "10.0.0.1:27017,10.0.0.1:27018,10.0.0.2:27017",
    used: ["services.mongodb", "address", "port"],
  },
  { name: "services_ipv6_hostport", src: "{{#services.redis}}{{hostPort}}{{/services.redis}}", out: "[fd00::1]:6379" },
  { name: "services_unknown_is_empty", src: "[{{#services.nope}}x{{/services.nope}}{{^services.nope}}none{{/services.nope}}]", out: "[none]" },
  { name: "outer_names_visible_in_section", src: "{{#services.redis}}{{NAME}}@{{port}}{{/services.redis}}", out: "push@6379" },
  { name: "standalone_section_lines_removed", src: "a\n{{#ON}}\nb\n{{/ON}}\nc\n", out: "a\nb\nc\n" },
  { name: "helper_typed_and_value", src: "{{TIMEOUT.typed}}ms from {{TIMEOUT.value}} / {{TIMEOUT}}", out: "15000ms from 15s / 15s" },
  { name: "helper_json_typed", src: "{{{PEERS.json}}} {{{ON.json}}} {{{NAME.json}}}", out: '[{"host":"a","port":1,"address":"a:1"},{"host":"b","port":2,"address":"b:2"}] true "push"' },
  { name: "comments_and_delimiters", src: "{{! note }}{{=<% %>=}}<% NAME %> {{NAME}}", out: "push {{NAME}}" },
  { name: "dot_in_section_over_a_scalar_is_its_value", src: "{{#NAME}}[{{.}}]{{/NAME}}", out: "[push]" },
  { name: "dot_over_a_typed_number_is_the_raw_value", src: "{{#TIMEOUT}}{{.}}{{/TIMEOUT}}", out: "15s" },
  { name: "dot_in_a_list_of_strings_is_the_item", src: "{{#LIST}}{{.}}{{^last}};{{/last}}{{/LIST}}", out: "x;y" },
  { name: "dot_in_a_boolean_section_is_the_boolean", src: "{{#PEERS}}{{#first}}{{.}}{{/first}}{{/PEERS}}", out: "true" },
  { name: "dot_item_object_as_json", src: "{{#PEERS}}{{^first}}{{.}}{{/first}}{{/PEERS}}", out: '{"host":"b","port":2,"address":"b:2"}' },
  { name: "names_inside_dot_section_look_past_it", src: "{{#NAME}}{{PORT}} {{value}}{{/NAME}}", out: "8080 outer" },
];

describe("renderTemplate text", () => {
  text.forEach((c, i) => {
    it(`${i}_${c.name}`, () => {
      const r = renderTemplate(c.src, "t.tmpl", view);
      expect(r.missing).toEqual([]);
      expect(r.output).toBe(c.out);
      if (c.used) expect(r.used).toEqual(c.used);
    });
  });
});

const missing: Array<{ name: string; src: string; missing: Array<{ name: string; line: number }> }> = [
  { name: "unknown_name_line_1", src: "{{NOPE}}", missing: [{ name: "NOPE", line: 1 }] },
  { name: "unknown_name_line_3", src: "a\nb {{NAME}}\n c {{TYPO}}", missing: [{ name: "TYPO", line: 3 }] },
  { name: "every_unknown_reported", src: "{{A}}\n{{B}}\n{{A}}", missing: [{ name: "A", line: 1 }, { name: "B", line: 2 }, { name: "A", line: 3 }] },
  { name: "unknown_section", src: "x\n{{#MAYBE}}y{{/MAYBE}}", missing: [{ name: "MAYBE", line: 2 }] },
  { name: "unknown_inverted_section", src: "{{^MAYBE}}y{{/MAYBE}}", missing: [{ name: "MAYBE", line: 1 }] },
  { name: "unknown_inside_service_section", src: "{{#services.redis}}\n{{adress}}\n{{/services.redis}}", missing: [{ name: "adress", line: 2 }] },
  { name: "unknown_dotted_tail", src: "{{NAME.length}}", missing: [{ name: "NAME.length", line: 1 }] },
  { name: "after_delimiter_change", src: "{{=<% %>=}}\n\n<% GONE %>", missing: [{ name: "GONE", line: 3 }] },
  { name: "no_services_without_registry", src: "{{#services.db}}{{/services.db}}", missing: [] },
  { name: "dot_outside_any_section", src: "a\n{{.}}", missing: [{ name: ".", line: 2 }] },
];

describe("renderTemplate missing names", () => {
  missing.forEach((c, i) => {
    it(`${i}_${c.name}`, () => {
      expect(renderTemplate(c.src, "t.tmpl", view).missing).toEqual(c.missing);
    });
  });
  it(`${missing.length}_services_absent_from_view_is_missing`, () => {
    const r = renderTemplate("\n{{#services.db}}{{/services.db}}", "t", { NAME: v("x") });
    expect(r.missing).toEqual([{ name: "services.db", line: 2 }]);
  });
});

describe("renderTemplate json escaping", () => {
  const src = '{\n  "name": "{{NAME}}",\n  "port": {{PORT}},\n  "hostile": "{{HOSTILE}}",\n  "peers": [{{#PEERS}}"{{address}}"{{^last}}, {{/last}}{{/PEERS}}]\n}\n';
  it("0_output_parses_and_values_are_literal", () => {
    const r = renderTemplate(src, "config.json.tmpl", view, { format: "json" });
    expect(r.missing).toEqual([]);
    const parsed = JSON.parse(r.output) as Record<string, unknown>;
    expect(parsed).toEqual({ name: "push", port: 8080, hostile: (view.HOSTILE as ViewVar).value, peers: ["a:1", "b:2"] });
  });
  it("1_triple_mustache_is_raw_even_in_json", () => {
    const r = renderTemplate('{"x": {{{RAW}}}}', "c.json", { RAW: v('{"a":[1,2]}') }, { format: "json" });
    expect(JSON.parse(r.output)).toEqual({ x: { a: [1, 2] } });
  });
  it("2_text_format_is_not_escaped", () => {
    expect(renderTemplate('"{{Q}}"', "c.txt", { Q: v('a"b') }).output).toBe('"a"b"');
  });
  const fmts: Array<[string, string]> = [["config.json", "json"], ["/etc/x/A.JSON", "json"], ["nginx.conf", "text"], ["x.json.bak", "text"]];
  fmts.forEach(([dest, f], i) => it(`${3 + i}_formatFor_${dest}`, () => expect(formatFor(dest)).toBe(f)));
});

describe("renderTemplate secrets and syntax errors", () => {
  it("0_secret_interpolation_flagged", () => {
    expect(renderTemplate("{{PASSWORD}}", "t", view).usesSecret).toBe(true);
    expect(renderTemplate("{{NAME}}", "t", view).usesSecret).toBe(false);
    expect(renderTemplate("{{#PASSWORD}}{{.}}{{/PASSWORD}}", "t", view).usesSecret).toBe(true);
    expect(renderTemplate("{{PASSWORD.value}}", "t", view).usesSecret).toBe(true);
    expect(renderTemplate("{{{PASSWORD.json}}}", "t", view).usesSecret).toBe(true);
  });
  const bad: Array<[string, string, number]> = [
    ["unclosed_section", "a\n\n{{#ON}}\nb", 3],
    ["unclosed_tag", "a\n{{NAME", 2],
    ["partial_unsupported", "a\nb\n{{>other}}", 3],
  ];
  bad.forEach(([name, src, line], i) =>
    it(`${1 + i}_${name}`, () => {
      let caught: unknown;
      try {
        renderTemplate(src, "bad.tmpl", view);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TemplateSyntaxError);
      expect((caught as TemplateSyntaxError).file).toBe("bad.tmpl");
      expect((caught as TemplateSyntaxError).line).toBe(line);
    }),
  );
  it("4_output_over_the_limit", () => {
    let caught: unknown;
    try {
      renderTemplate("a\n{{#LIST}}{{HOSTILE}}{{/LIST}}", "big.tmpl", view, { maxOutput: 60 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateOutputTooLargeError);
    expect((caught as TemplateOutputTooLargeError).file).toBe("big.tmpl");
    expect((caught as TemplateOutputTooLargeError).line).toBe(2);
    expect(renderTemplate("{{#LIST}}{{.}}{{/LIST}}", "t", view, { maxOutput: 2 }).output).toBe("xy");
  });
  it("5_used_service_names", () => {
    const r = renderTemplate("{{#services.b}}{{/services.b}}{{#services.a}}{{port}}{{/services.a}}{{NAME}}", "t", view);
    expect(usedServiceNames(r.used)).toEqual(["a", "b"]);
  });
  it("6_fingerprint_ignores_unused_and_non_passing", () => {
    const other = new ServiceDirectory({
      version: 9,
      instances: [inst("mongodb", "10.0.0.1", 27017), inst("mongodb", "10.0.0.2", 27017), inst("mongodb", "10.0.0.1", 27018), inst("x", "1.1.1.1", 1), inst("mongodb", "10.0.0.7", 1, "warning")],
    });
    expect(other.fingerprint(["mongodb"])).toBe(services.fingerprint(["mongodb"]));
    expect(other.fingerprint(["mongodb", "redis"])).not.toBe(services.fingerprint(["mongodb", "redis"]));
  });
  const nested = (n: number) => `a\n${"{{#ON}}".repeat(n)}x${"{{/ON}}".repeat(n)}`;
  it("7_sections_nested_5000_deep_are_a_syntax_error_not_a_stack_overflow", () => {
    let caught: unknown;
    try {
      renderTemplate(nested(5000), "deep.tmpl", view);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateSyntaxError);
    expect((caught as TemplateSyntaxError).line).toBe(2);
  });
  it("8_sections_nested_to_the_limit_render", () => {
    expect(renderTemplate(nested(MAX_SECTION_DEPTH), "t", view).output).toBe("a\nx");
  });
});
