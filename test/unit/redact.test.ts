import { describe, expect, it } from "vitest";
import { MASK, MIN_SECRET_LENGTH, Redactor, redactUrlCredentials, secretForms, secretFormsProblem } from "../../src/core/redact.js";

describe("redactUrlCredentials", () => {
  const rows: Array<[string, string, string]> = [
    ["user_and_password", "mysql://app:hunter22@db:3306/x", `mysql://app:${MASK}@db:3306/x`],
    ["token_only", "https://ghp_abc123@github.example/x", `https://${MASK}@github.example/x`],
    ["unencoded_at_in_password", "mysql://u:p@ss@db/x", `mysql://u:${MASK}@db/x`],
    ["inside_json", '{"url":"postgres://u:pw12@db/x","n":1}', `{"url":"postgres://u:${MASK}@db/x","n":1}`],
    ["several_in_one_line", "a=redis://:pw1@r b=amqp://guest:guest@q", `a=redis://:${MASK}@r b=amqp://guest:${MASK}@q`],
    ["no_credentials_untouched", "http://db:5432/x and bob@example.com", "http://db:5432/x and bob@example.com"],
    ["at_in_path_is_not_credentials", "http://host/a@b", "http://host/a@b"],
    ["no_url", "plain text: a@b", "plain text: a@b"],
    ["scheme_inside_a_word", "xmysql://u:pw12@db", `xmysql://u:${MASK}@db`],
  ];
  rows.forEach(([name, text, want], i) => it(`${i}_${name}`, () => expect(redactUrlCredentials(text)).toBe(want)));
});

describe("redactUrlCredentials on large text", () => {
  it("0_linear_in_a_long_run_of_letters", () => {
    const blob = `${"A".repeat(2_000_000)} http://u:pw12@h/ ${"b".repeat(2_000_000)}`;
    const t0 = performance.now();
    const out = redactUrlCredentials(blob);
    expect(out).toContain(`http://u:${MASK}@h/`);
    expect(performance.now() - t0).toBeLessThan(2_000); // quadratic would be hours
  });
});

describe("secretForms", () => {
  const rows: Array<[string, string, unknown, string[]]> = [
    ["raw_only", "hunter22", "hunter22", ["hunter22"]],
    ["json_escaped", 'a"b\\c\nd', undefined, ['a"b\\c\nd', 'a\\"b\\\\c\\nd', "a%22b%5Cc%0Ad"]],
    ["url_encoded", "p@ss word", undefined, ["p@ss word", "p%40ss%20word"]],
    ["typed_int", "+0042917", 42917, ["+0042917", "%2B0042917", "42917"]],
    ["typed_duration_ms", "2m30s", 150000, ["2m30s", "150000"]],
    ["typed_list_as_json", "a:1,b:2", [{ host: "a", port: 1 }], ["a:1,b:2", "a%3A1%2Cb%3A2", '[{"host":"a","port":1}]', '[{\\"host\\":\\"a\\",\\"port\\":1}]']],
    ["empty", "", undefined, []],
  ];
  rows.forEach(([name, raw, typed, want], i) => it(`${i}_${name}`, () => expect(secretForms(raw, typed).sort()).toEqual(want.sort())));
});

describe("secretFormsProblem", () => {
  const rows: Array<[string, string, unknown, boolean]> = [
    ["long_enough", "abcd", undefined, false],
    ["one_character", "x", undefined, true],
    ["three_characters", "abc", undefined, true],
    ["typed_form_too_short", "0007", 7, true],
    ["bool_typed_form_ok", "yes!", true, false],
  ];
  rows.forEach(([name, raw, typed, bad], i) =>
    it(`${i}_${name}`, () => {
      const why = secretFormsProblem(raw, secretForms(raw, typed));
      expect(why !== undefined).toBe(bad);
      if (why) expect(why).not.toContain(raw);
    }),
  );
  it(`${rows.length}_minimum_is_${MIN_SECRET_LENGTH}`, () => expect(MIN_SECRET_LENGTH).toBe(4));
});

describe("Redactor", () => {
  it("0_masks_every_form_longest_first_and_url_credentials", () => {
    const r = new Redactor();
    r.add(secretForms("s3cr", undefined));
    r.add(secretForms("s3cr3t-long", undefined));
    expect(r.redact("a s3cr3t-long b s3cr c http://u:zz99@h/")).toBe(`a ${MASK} b ${MASK} c http://u:${MASK}@h/`);
  });
  it("1_ignores_forms_too_short_to_mask", () => {
    const r = new Redactor();
    r.add(["x", "ab", "abc"]);
    expect(r.size).toBe(0);
    expect(r.redact("x ab abc")).toBe("x ab abc");
  });
});
