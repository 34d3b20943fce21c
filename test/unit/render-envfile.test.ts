import { describe, expect, it } from "vitest";
import { parseDotenv, parseEnvFile, parseSystemdEnv, type ParsedEnvFile } from "../../src/render/envfile.js";

// Each row: file text -> the assignments that reach the environment, in order ([key, value, line]),
// and the lines that got a warning. Values are written out exactly (JSON-style escapes).
interface Row {
  name: string;
  text: string;
  entries: Array<[string, string, number]>;
  warnLines?: number[];
}

const run = (parse: (t: string, p: string) => ParsedEnvFile, r: Row) => {
  const got = parse(r.text, "/etc/app/a.env");
  expect(got.entries.map((e) => [e.key, e.value, e.line])).toEqual(r.entries);
  expect(got.warnings.map((w) => (w.source?.kind === "file" ? w.source.line : -1))).toEqual(r.warnLines ?? []);
  for (const w of got.warnings) {
    expect(w.code).toBe("ignored-line");
    expect(w.message).toMatch(/^\/etc\/app\/a\.env:\d+: /);
  }
};

const systemdRows: Row[] = [
  // S1 comments
  { name: "S1 hash comment", text: "# A=1\nB=2\n", entries: [["B", "2", 2]] },
  { name: "S1 semicolon comment", text: "; A=1\nB=2", entries: [["B", "2", 2]] },
  { name: "S1 indented comment", text: "   # A=1\n\t; B=2\n", entries: [] },
  { name: "S1 no inline comment", text: "A=b # c\n", entries: [["A", "b # c", 1]] },
  { name: "S1 comment ending in backslash does not continue (v254+)", text: "# x \\\nA=1\n", entries: [["A", "1", 2]] },
  { name: "S1 backslash mid-comment", text: "# x \\y\nA=1\n", entries: [["A", "1", 2]] },
  // S2 key and '=' whitespace
  { name: "S2 plain", text: "A=b", entries: [["A", "b", 1]] },
  { name: "S2 spaces around key and =", text: "  A  =  b\n", entries: [["A", "b", 1]] },
  { name: "S2 tabs around =", text: "\tA\t=\tb\t\n", entries: [["A", "b", 1]] },
  { name: "S2 empty value", text: "A=\nB=  \n", entries: [["A", "", 1], ["B", "", 2]] },
  { name: "S2 value containing =", text: "A=b=c\n", entries: [["A", "b=c", 1]] },
  { name: "S2 blank lines counted", text: "\n\n\nA=1\n\n", entries: [["A", "1", 4]] },
  // S3 unquoted values
  { name: "S3 trailing whitespace trimmed", text: "A=b c  \t\n", entries: [["A", "b c", 1]] },
  { name: "S3 inner whitespace kept", text: "A=b   c\n", entries: [["A", "b   c", 1]] },
  { name: "S3 escaped trailing space kept", text: "A=b\\ \n", entries: [["A", "b ", 1]] },
  { name: "S3 escaped space then space", text: "A=b\\  \n", entries: [["A", "b ", 1]] },
  { name: "S3 backslash-x is x", text: "A=a\\nb\\tc\n", entries: [["A", "anbtc", 1]] },
  { name: "S3 double backslash", text: "A=a\\\\b\n", entries: [["A", "a\\b", 1]] },
  { name: "S3 escaped quote", text: 'A=\\"x\\"\n', entries: [["A", '"x"', 1]] },
  { name: "S3 continuation", text: "A=one\\\n  two\nB=3\n", entries: [["A", "one  two", 1], ["B", "3", 3]] },
  // systemd eats only the CR after the backslash; the LF then ends the assignment and "two" is a line without '='.
  { name: "S3 continuation before CRLF", text: "A=one\\\r\ntwo\r\nB=3\r\n", entries: [["A", "one", 1], ["B", "3", 3]], warnLines: [2] },
  { name: "S3 quotes inside unquoted are literal", text: 'A=a "b" \'c\'\n', entries: [["A", "a \"b\" 'c'", 1]] },
  // S4 single quotes
  { name: "S4 literal", text: "A='a \\n $B \" `x`'\n", entries: [["A", 'a \\n $B " `x`', 1]] },
  { name: "S4 whitespace kept", text: "A='  b  '\n", entries: [["A", "  b  ", 1]] },
  { name: "S4 multi-line", text: "A='x\ny'\nB=1\n", entries: [["A", "x\ny", 1], ["B", "1", 3]] },
  { name: "S4 trailing backslash literal", text: "A='x\\'\n", entries: [["A", "x\\", 1]] },
  // S5 double quotes
  { name: "S5 escapes unescaped", text: 'A="\\" \\\\ \\` \\$"\n', entries: [["A", '" \\ ` $', 1]] },
  { name: "S5 other escapes kept", text: 'A="a\\nb\\tc\\x"\n', entries: [["A", "a\\nb\\tc\\x", 1]] },
  { name: "S5 continuation", text: 'A="one \\\ntwo"\n', entries: [["A", "one two", 1]] },
  { name: "S5 literal newline kept", text: 'A="one\ntwo"\nB=2\n', entries: [["A", "one\ntwo", 1], ["B", "2", 3]] },
  { name: "S5 whitespace kept", text: 'A="  b  "  \n', entries: [["A", "  b  ", 1]] },
  { name: "S5 hash inside", text: 'A="b # c"\n', entries: [["A", "b # c", 1]] },
  // S6 concatenation
  { name: "S6 quoted parts concatenate", text: "A=\"a\" 'b' c\n", entries: [["A", "abc", 1]] },
  { name: "S6 quote then unquoted", text: 'A="a"b c \n', entries: [["A", "ab c", 1]] },
  { name: "S6 quote then comment-looking text", text: 'A="b" # c\n', entries: [["A", "b# c", 1]] },
  { name: "S6 leading whitespace before quote", text: 'A=   "b"\n', entries: [["A", "b", 1]] },
  // S7 lines without '='
  { name: "S7 no equals", text: "garbage\nA=1\n", entries: [["A", "1", 2]], warnLines: [1] },
  { name: "S7 no equals at EOF", text: "A=1\nB", entries: [["A", "1", 1]], warnLines: [2] },
  // S8 duplicates
  { name: "S8 duplicates kept in order (later wins)", text: "A=1\nA=2\n", entries: [["A", "1", 1], ["A", "2", 2]] },
  // S9 names
  { name: "S9 export is invalid", text: "export A=1\nB=2\n", entries: [["B", "2", 2]], warnLines: [1] },
  { name: "S9 leading digit", text: "1A=1\n", entries: [], warnLines: [1] },
  { name: "S9 dot and dash", text: "a.b=1\na-b=2\n", entries: [], warnLines: [1, 2] },
  { name: "S9 lowercase and underscore ok", text: "_a1=1\n", entries: [["_a1", "1", 1]] },
  { name: "S9 empty name", text: "=1\n", entries: [], warnLines: [1] },
  { name: "S9 colon form is not an assignment", text: "A: b\n", entries: [], warnLines: [1] },
  // S10 no expansion
  { name: "S10 dollar literal", text: "A=$B ${C} $(touch /tmp/x) `id`\n", entries: [["A", "$B ${C} $(touch /tmp/x) `id`", 1]] },
  // S11 line breaks, unterminated quotes, NUL
  { name: "S11 CRLF", text: "A=1\r\nB=2\r\n", entries: [["A", "1", 1], ["B", "2", 2]] },
  { name: "S11 CR only", text: "A=1\rB=2\r", entries: [["A", "1", 1], ["B", "2", 2]] },
  { name: "S11 no trailing newline", text: "A=1", entries: [["A", "1", 1]] },
  { name: "S11 unterminated double quote", text: 'A="x\nB=2\n', entries: [["A", "x\nB=2\n", 1]], warnLines: [1] },
  { name: "S11 unterminated single quote", text: "A='x", entries: [["A", "x", 1]], warnLines: [1] },
  { name: "S11 text after NUL ignored", text: "A=1\nB=2\0\nC=3\n", entries: [["A", "1", 1], ["B", "2", 2]] },
  { name: "S11 trailing backslash at EOF", text: "A=x\\", entries: [["A", "x", 1]] },
  { name: "S11 leading byte order mark: first line ignored", text: "\uFEFFA=1\nB=2\n", entries: [["B", "2", 2]], warnLines: [1] },
];

describe("systemd EnvironmentFile= syntax", () => {
  systemdRows.forEach((r, i) => it(`${i}_${r.name}`, () => run(parseSystemdEnv, r)));
});

const dotenvRows: Row[] = [
  { name: "plain", text: "A=b\n", entries: [["A", "b", 1]] },
  { name: "export prefix allowed", text: "export A=b\n", entries: [["A", "b", 1]] },
  { name: "inline comment after unquoted", text: "A=b # c\n", entries: [["A", "b", 1]] },
  { name: "hash without space starts comment", text: "A=b#c\n", entries: [["A", "b", 1]] },
  { name: "hash inside quotes kept", text: 'A="b # c"\n', entries: [["A", "b # c", 1]] },
  { name: "comment after quoted", text: "A='b' # c\n", entries: [["A", "b", 1]] },
  { name: "semicolon line is not a comment", text: "; A=1\nB=2\n", entries: [["B", "2", 2]], warnLines: [1] },
  { name: "double quotes expand \\n and \\r", text: 'A="x\\ny\\rz"\n', entries: [["A", "x\ny\rz", 1]] },
  { name: "single quotes do not expand", text: "A='x\\ny'\n", entries: [["A", "x\\ny", 1]] },
  { name: "escaped double quote keeps backslash", text: 'A="say \\"hi\\""\n', entries: [["A", 'say \\"hi\\"', 1]] },
  { name: "backslash in unquoted kept", text: "A=a\\ b\n", entries: [["A", "a\\ b", 1]] },
  { name: "backticks", text: 'A=`he said "hi"`\n', entries: [["A", 'he said "hi"', 1]] },
  { name: "multi-line double quoted", text: 'A="one\ntwo"\nB=3\n', entries: [["A", "one\ntwo", 1], ["B", "3", 3]] },
  { name: "multi-line single quoted", text: "A='one\ntwo'\n", entries: [["A", "one\ntwo", 1]] },
  { name: "quoted whitespace kept", text: 'A="  b  "\n', entries: [["A", "  b  ", 1]] },
  { name: "unquoted trimmed", text: "A =   b c   \n", entries: [["A", "b c", 1]] },
  { name: "concatenated quotes stay literal", text: "A=\"a\" 'b'\n", entries: [["A", "\"a\" 'b'", 1]] },
  { name: "text after closing quote: whole raw value", text: 'A="x"y\n', entries: [["A", '"x"y', 1]] },
  { name: "backslash-newline is not a continuation", text: "A=x\\\nB=y\n", entries: [["A", "x\\", 1], ["B", "y", 2]] },
  { name: "dot dash and leading digit names", text: "a.b-c=1\n1A=x\n", entries: [["a.b-c", "1", 1], ["1A", "x", 2]] },
  { name: "colon separator", text: "A: b\n", entries: [["A", "b", 1]] },
  { name: "empty value and comment-only value", text: "A=\nB= # c\n", entries: [["A", "", 1], ["B", "", 2]] },
  { name: "no expansion", text: "A=$B ${C} $(touch /tmp/x)\n", entries: [["A", "$B ${C} $(touch /tmp/x)", 1]] },
  { name: "CRLF normalised", text: "A=1\r\nB='x\r\ny'\r\n", entries: [["A", "1", 1], ["B", "x\ny", 2]] },
  { name: "unterminated quote falls back to raw", text: 'A="abc\nB=1\n', entries: [["A", '"abc', 1], ["B", "1", 2]] },
  { name: "garbage line warned", text: "hello world\nA=1\n", entries: [["A", "1", 2]], warnLines: [1] },
  { name: "name and = on different lines", text: "A\n=b\n", entries: [], warnLines: [1, 2] },
  { name: "duplicates in order", text: "A=1\nA=2\n", entries: [["A", "1", 1], ["A", "2", 2]] },
  { name: "leading byte order mark skipped", text: "\uFEFFA=1\nB=2\n", entries: [["A", "1", 1], ["B", "2", 2]] },
];

describe("byte order mark", () => {
  it("0_systemd_warning_names_the_BOM", () => {
    const { warnings } = parseSystemdEnv("\uFEFFA=1\n", "bom.env");
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^bom\.env:1: .*byte order mark/)]);
  });
});

describe("dotenv syntax", () => {
  dotenvRows.forEach((r, i) => it(`${i}_${r.name}`, () => run(parseDotenv, r)));
});

describe("parseEnvFile dispatch", () => {
  const text = "export A=b # c\n";
  const cases: Array<[string, "systemd" | "dotenv", Array<[string, string]>]> = [
    ["systemd", "systemd", []],
    ["dotenv", "dotenv", [["A", "b"]]],
  ];
  cases.forEach(([name, format, want], i) =>
    it(`${i}_${name}`, () => {
      expect(parseEnvFile(text, "x.env", format).entries.map((e) => [e.key, e.value])).toEqual(want);
    }),
  );
});

// systemd's own expectations: the inputs of src/test/test-env-file.c (v255), folded "later wins" as
// EnvironmentFile= does; "export nine" is dropped by the name check of exec_context_load_environment().
const systemdVectors: Array<[string, string, Record<string, string>]> = [
  [
    "load_env_file_1",
    "a=a\na=b\na=b\na=a\nb=b\\\nc\nd= d\\\ne  \\\nf  \ng=g\\ \nh= ąęół\\ śćńźżμ \ni=i\\",
    { a: "a", b: "bc", d: "de  f", g: "g ", h: "ąęół śćńźżμ", i: "i" },
  ],
  ["load_env_file_2", "a=a\\\n", { a: "a" }],
  [
    "load_env_file_3",
    '#SPAMD_ARGS="-d --socketpath=/var/lib/bulwark/spamd \\\n#--nouser-config                                     \\\n' +
      "normal1=line\\\n111\n;normal=ignored                                      \\\nnormal2=line222\n" +
      "normal ignored                                       \\\n",
    { normal1: "line111", normal2: "line222" },
  ],
  [
    "load_env_file_4",
    '# Generated\n\nHWMON_MODULES="coretemp f71882fg"\n\n# For compatibility reasons\n\nMODULE_0=coretemp\nMODULE_1=f71882fg',
    { HWMON_MODULES: "coretemp f71882fg", MODULE_0: "coretemp", MODULE_1: "f71882fg" },
  ],
  ["load_env_file_5", "a=\nb=", { a: "", b: "" }],
  [
    "load_env_file_6",
    "a=\\ \\n \\t \\x \\y \\' \nb= \\$'                  \nc= ' \\n\\t\\$\\`\\\\\n'   \nd= \" \\n\\t\\$\\`\\\\\n\"   \n",
    { a: " n t x y '", b: "$'", c: " \\n\\t\\$\\`\\\\\n", d: " \\n\\t$`\\\n" },
  ],
  [
    "parse_env_file",
    "one=BAR   \n# comment\n # comment \n ; comment \n  two   =   bar    \ninvalid line\ninvalid line #comment\n" +
      "three = \"333\nxxxx\"\nfour = '44\\\"44'\nfive = \"55\\\"55\" \"FIVE\" cinco   \nsix = seis sechs\\\n sis\n" +
      "seven=\"sevenval\" #nocomment\neight=eightval #nocomment\nexport nine=nineval\nten=ignored\nten=ignored\nten=\n" +
      "eleven=\\value\ntwelve=\"\\value\"\nthirteen='\\value'",
    {
      one: "BAR",
      two: "bar",
      three: "333\nxxxx",
      four: '44\\"44',
      five: '55"55FIVEcinco',
      six: "seis sechs sis",
      seven: "sevenval#nocomment",
      eight: "eightval #nocomment",
      ten: "",
      eleven: "value",
      twelve: "\\value",
      thirteen: "\\value",
    },
  ],
];

describe("systemd's own test vectors", () => {
  systemdVectors.forEach(([name, text, want], i) =>
    it(`${i}_${name}`, () => {
      const got: Record<string, string> = {};
      for (const e of parseSystemdEnv(text, "v.env").entries) got[e.key] = e.value;
      expect(got).toEqual(want);
    }),
  );
});

// The difference table of src/render/envfile.ts, row by row: input -> systemd value, dotenv value
// (undefined = the line is ignored with a warning).
const differences: Array<[string, string | undefined, string | undefined]> = [
  ["export A=b", undefined, "b"],
  ["A=b # c", "b # c", "b"],
  ["A=b#c", "b#c", "b"],
  ['A="b" # c', "b# c", "b"],
  ['A="x\\ny"', "x\\ny", "x\ny"],
  ['A="say \\"hi\\""', 'say "hi"', 'say \\"hi\\"'],
  ["A=a\\ b", "a b", "a\\ b"],
  ["A=`x`", "`x`", "x"],
  ["A=\"a\" 'b'", "ab", "\"a\" 'b'"],
  ["A=x\\\ny", "xy", "x\\"],
  ["A: b", undefined, "b"],
  ["A='x\ny'", "x\ny", "x\ny"],
  ["A=`x\ny`", "`x", "x\ny"],
];

describe("systemd vs dotenv differences", () => {
  differences.forEach(([text, sd, de], i) =>
    it(`${i}_${JSON.stringify(text)}`, () => {
      const first = (p: ParsedEnvFile) => p.entries.find((e) => e.key === "A")?.value;
      expect(first(parseSystemdEnv(text, "d.env"))).toBe(sd);
      expect(first(parseDotenv(text, "d.env"))).toBe(de);
    }),
  );
});
