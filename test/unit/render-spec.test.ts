import { describe, expect, it } from "vitest";
import { SpecError } from "../../src/render/errors.js";
import { checkVariables, loadSpec, parseSpec, type CheckableValue, type Spec } from "../../src/render/spec.js";
import { checkType, type TypeSettings } from "../../src/render/spec-values.js";

const SPEC_YAML = `description: push-server
variables:
  MONGODB_URL: { type: url, required: true, description: "replica set", pattern: "^mongodb://" }
  PORT: { type: port, default: 8080 }
  LOG_LEVEL: { type: enum, values: [debug, info, warn], default: info }
  API_KEY: { type: string, secret: true, required: true }
  PEERS: { type: hostports }   # "h1:p1,h2:p2"
  TIMEOUT: { type: duration, default: 5s }
  DEBUG: { type: bool, default: "false" }
  WORKERS: { type: int, min: 1, max: 64 }
  NOTE:
  SHORT: bool
`;

describe("spec file: valid", () => {
  it("0_yaml with every type, shorthand and empty entries", async () => {
    const spec = await parseSpec(SPEC_YAML, "spec.yaml");
    expect(spec.description).toBe("push-server");
    expect([...spec.variables.keys()]).toEqual(["MONGODB_URL", "PORT", "LOG_LEVEL", "API_KEY", "PEERS", "TIMEOUT", "DEBUG", "WORKERS", "NOTE", "SHORT"]);
    expect(spec.variables.get("PORT")).toEqual({ name: "PORT", type: "port", required: false, default: "8080" });
    expect(spec.variables.get("MONGODB_URL")?.pattern?.test("mongodb://x")).toBe(true);
    expect(spec.variables.get("MONGODB_URL")?.pattern?.test("http://mongodb://x")).toBe(false);
    expect(spec.variables.get("LOG_LEVEL")?.values).toEqual(["debug", "info", "warn"]);
    expect(spec.variables.get("API_KEY")?.secret).toBe(true);
    expect(spec.variables.get("WORKERS")).toMatchObject({ min: 1, max: 64 });
    expect(spec.variables.get("NOTE")).toEqual({ name: "NOTE", type: "string", required: false });
    expect(spec.variables.get("SHORT")?.type).toBe("bool");
    expect(spec.variables.get("DEBUG")?.default).toBe("false");
  });
  it("1_json equivalent", async () => {
    const json = JSON.stringify({ variables: { PORT: { type: "port", default: "80" }, URL: { type: "url", schemes: ["HTTPS:"] } } });
    const spec = await parseSpec(json, "spec.json");
    expect(spec.variables.get("PORT")?.default).toBe("80");
    expect(spec.variables.get("URL")?.schemes).toEqual(["https"]);
  });
  it("2_unknown extension: JSON when it starts with {, else YAML", async () => {
    expect((await parseSpec('{"variables":{"A":{}}}', "spec")).variables.has("A")).toBe(true);
    expect((await parseSpec("variables:\n  B: int\n", "spec")).variables.get("B")?.type).toBe("int");
  });
});

// Each row: spec text, file name, and the expected [path, line] of every problem.
const invalid: Array<[string, string, string, Array<[string, number | undefined]>]> = [
  ["yaml syntax error (reported where detected)", "spec.yaml", "variables:\n  A: { type: int\n", [["", 3]]],
  ["yaml duplicate key", "spec.yaml", "variables:\n  A: int\n  A: bool\n", [["", 3]]],
  [
    "yaml alias bomb (billion laughs) is refused, not expanded",
    "spec.yaml",
    ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e", "f", "g"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdef"[i]}`).join(", ")}]`), "variables: {}", ""].join("\n"),
    [["", undefined]],
  ],
  ["json duplicate key (as yaml refuses it)", "spec.json", '{\n  "variables": {\n    "A": "int",\n    "A": "bool"\n  }\n}\n', [["", 4]]],
  ["json duplicate key in a nested object", "spec.json", '{"variables": {"A": {"type": "int", "min": 1, "min": 2}, "B": ["x", "x"]}}', [["", 1]]],
  ["json syntax error (line from JSON.parse position)", "spec.json", '{\n  "variables": {\n    "A": {"type": "int",}\n  }\n}\n', [["", 3]]],
  ["not a mapping", "spec.yaml", "- a\n- b\n", [["", 1]]],
  ["unknown top-level key", "spec.yaml", "variables: {}\nvars: {}\n", [["vars", 2]]],
  ["unknown type", "spec.yaml", "variables:\n  A:\n    type: number\n", [["variables.A.type", 3]]],
  ["typo in key", "spec.yaml", "variables:\n  A:\n    type: int\n    requried: true\n", [["variables.A.requried", 4]]],
  ["invalid regex", "spec.yaml", "variables:\n  A:\n    pattern: \"([a-z\"\n", [["variables.A.pattern", 3]]],
  ["enum without values", "spec.yaml", "variables:\n  A: { type: enum }\n", [["variables.A.values", 2]]],
  ["min on string", "spec.yaml", "variables:\n  A: { min: 1 }\n", [["variables.A.min", 2]]],
  ["min above max", "spec.yaml", "variables:\n  A: { type: int, min: 5, max: 1 }\n", [["variables.A.min", 2]]],
  ["default not of the type", "spec.yaml", "variables:\n  PORT:\n    type: port\n    default: 80800\n", [["variables.PORT.default", 4]]],
  ["default not matching pattern", "spec.yaml", "variables:\n  A: { pattern: '^x', default: y }\n", [["variables.A.default", 2]]],
  ["required with default", "spec.yaml", "variables:\n  A: { required: true, default: x }\n", [["variables.A.default", 2]]],
  ["bad variable name", "spec.yaml", "variables:\n  1A: {}\n", [["variables.1A", 2]]],
  ["required not boolean", "spec.yaml", "variables:\n  A: { required: yes }\n", [["variables.A.required", 2]]],
  ["values on non-enum", "spec.yaml", "variables:\n  A: { values: [a] }\n", [["variables.A.values", 2]]],
  [
    "every problem at once, JSON lines from the tree",
    "spec.json",
    '{\n  "variables": {\n    "A": {"type": "nope"},\n    "B": {"type": "int",\n          "min": "one"}\n  }\n}\n',
    [["variables.A.type", 3], ["variables.B.min", 5]],
  ],
];

describe("spec file: invalid", () => {
  invalid.forEach(([name, file, text, want], i) =>
    it(`${i}_${name}`, async () => {
      const err = await parseSpec(text, file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpecError);
      const e = err as SpecError;
      expect(e.file).toBe(file);
      expect(e.problems.map((p) => [p.path, p.line])).toEqual(want);
      for (const line of e.format().split("\n")) expect(line.startsWith(file)).toBe(true);
    }),
  );
  it(`${invalid.length + 1}_unreadable spec file names the file`, async () => {
    const err = (await loadSpec("/no/such/spec.yaml").catch((e: unknown) => e)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    expect(err.file).toBe("/no/such/spec.yaml");
    expect(err.format()).toMatch(/^\/no\/such\/spec\.yaml: cannot read: /);
  });
  it(`${invalid.length}_secret default is not quoted`, async () => {
    const err = (await parseSpec("variables:\n  A: { secret: true, pattern: '^sk_', default: hunter2 }\n", "s.yaml").catch((e: unknown) => e)) as SpecError;
    expect(err).toBeInstanceOf(SpecError);
    expect(err.format()).not.toContain("hunter2");
  });
});

// Per type: [settings, raw, expected typed] for valid values, [settings, raw] for invalid ones.
const valid: Array<[string, TypeSettings, string, unknown]> = [
  ["string", { type: "string" }, " any thing ", " any thing "],
  ["int", { type: "int" }, "-42", -42],
  ["int plus sign", { type: "int" }, "+7", 7],
  ["int within bounds", { type: "int", min: 1, max: 64 }, "64", 64],
  ["port", { type: "port" }, "8080", 8080],
  ["port edges", { type: "port" }, "65535", 65535],
  ["bool true", { type: "bool" }, "yes", true],
  ["bool ON any case", { type: "bool" }, "ON", true],
  ["bool 0", { type: "bool" }, "0", false],
  ["bool off", { type: "bool" }, "off", false],
  ["url", { type: "url" }, "https://example.com/x?y=1", "https://example.com/x?y=1"],
  ["url with allowed scheme", { type: "url", schemes: ["mongodb"] }, "mongodb://db:27017/app", "mongodb://db:27017/app"],
  ["url multi-host", { type: "url", schemes: ["mongodb"] }, "mongodb://u:p@a:1,b:2,[::1]:3/db?replicaSet=rs", "mongodb://u:p@a:1,b:2,[::1]:3/db?replicaSet=rs"],
  [
    "hostports",
    { type: "hostports" },
    "db1:27017, [::1]:27018,10.0.0.1:1",
    [
      { host: "db1", port: 27017, hostPort: "db1:27017" },
      { host: "::1", port: 27018, hostPort: "[::1]:27018" },
      { host: "10.0.0.1", port: 1, hostPort: "10.0.0.1:1" },
    ],
  ],
  ["hostports v4-mapped v6", { type: "hostports" }, "[::ffff:10.0.0.1]:80", [{ host: "::ffff:10.0.0.1", port: 80, hostPort: "[::ffff:10.0.0.1]:80" }]],
  ["enum", { type: "enum", values: ["debug", "info"] }, "info", "info"],
  ["duration", { type: "duration" }, "1m30s", 90_000],
  ["duration ms", { type: "duration" }, "250ms", 250],
];

const bad: Array<[string, TypeSettings, string]> = [
  ["int letters", { type: "int" }, "12a"],
  ["int float", { type: "int" }, "1.5"],
  ["int below min", { type: "int", min: 1 }, "0"],
  ["int above max", { type: "int", max: 64 }, "65"],
  ["int huge", { type: "int" }, "99999999999999999999"],
  ["port zero", { type: "port" }, "0"],
  ["port too big", { type: "port" }, "65536"],
  ["port sign", { type: "port" }, "+80"],
  ["port hex", { type: "port" }, "0x50"],
  ["bool maybe", { type: "bool" }, "maybe"],
  ["url no scheme", { type: "url" }, "example.com"],
  ["url wrong scheme", { type: "url", schemes: ["mongodb"] }, "http://db/"],
  ["url bad host in list", { type: "url" }, "mongodb://a:1,b c:2/db"],
  ["hostports missing port", { type: "hostports" }, "db1"],
  ["hostports empty entry", { type: "hostports" }, "db1:1,,db2:2"],
  ["hostports bad port", { type: "hostports" }, "db1:70000"],
  ["hostports v6 without brackets", { type: "hostports" }, "::1:80"],
  ["hostports bad v6", { type: "hostports" }, "[zz::1]:80"],
  ["hostports double ::", { type: "hostports" }, "[1::2::3]:80"],
  ["hostports v4 in brackets", { type: "hostports" }, "[10.0.0.1]:80"],
  ["hostports v6 zone", { type: "hostports" }, "[fe80::1%eth0]:80"],
  ["enum other", { type: "enum", values: ["debug", "info"] }, "INFO"],
  ["duration no unit", { type: "duration" }, "17"],
  ["duration junk", { type: "duration" }, "5 s"],
];

describe("value types", () => {
  valid.forEach(([name, s, raw, typed], i) =>
    it(`${i}_valid ${name}`, () => {
      expect(checkType(raw, s)).toEqual({ ok: true, typed });
    }),
  );
  bad.forEach(([name, s, raw], i) =>
    it(`${valid.length + i}_invalid ${name}`, () => {
      const r = checkType(raw, s);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).not.toContain(raw);
    }),
  );
});

describe("checkVariables", () => {
  const spec = (): Promise<Spec> => parseSpec(SPEC_YAML, "spec.yaml");
  const at = (value: string, line: number, secret = false): CheckableValue => ({ value, source: { kind: "file", path: "/etc/env/secrets.env", line }, secret });

  it("0_reports every problem at once, each naming the variable and file:line", async () => {
    const values = new Map<string, CheckableValue>([
      ["MONGODB_URL", at("http://x/", 1)],
      ["PORT", at("80800", 2)],
      ["LOG_LEVEL", at("loud", 3)],
      ["PEERS", at("a:1,b", 4)],
      ["TIMEOUT", at("soon", 5)],
      ["DEBUG", at("perhaps", 6)],
      ["WORKERS", at("0", 7)],
    ]);
    const { problems } = checkVariables(values, await spec());
    expect(problems.map((p) => [p.variable, p.code])).toEqual([
      ["MONGODB_URL", "invalid"],
      ["PORT", "invalid"],
      ["LOG_LEVEL", "invalid"],
      ["API_KEY", "missing"],
      ["PEERS", "invalid"],
      ["TIMEOUT", "invalid"],
      ["DEBUG", "invalid"],
      ["WORKERS", "invalid"],
    ]);
    expect(problems[1]!.message).toBe('PORT (/etc/env/secrets.env:2): "80800" is not a port number (1..65535)');
    expect(problems[3]!.message).toBe("API_KEY: required but not set");
    for (const p of problems.filter((x) => x.code === "invalid")) expect(p.message).toMatch(/^[A-Z_]+ \(\/etc\/env\/secrets\.env:\d\): /);
  });
  it("1_a secret value never appears in a message", async () => {
    const s = await parseSpec("variables:\n  API_KEY: { secret: true, pattern: '^sk_[a-z]+$' }\n  DB_PASSWORD: { type: int }\n", "s.yaml");
    const values = new Map([
      ["API_KEY", at("pk_hunter2", 3, true)],
      ["DB_PASSWORD", at("correct horse", 4, true)],
    ]);
    const { problems } = checkVariables(values, s);
    expect(problems).toHaveLength(2);
    expect(problems[0]!.message).toBe("API_KEY (/etc/env/secrets.env:3): the value does not match pattern /^sk_[a-z]+$/");
    const all = problems.map((p) => p.message).join("\n");
    expect(all).not.toContain("hunter2");
    expect(all).not.toContain("correct horse");
  });
  it("2_valid values are typed; empty optional values are skipped; empty required values are missing", async () => {
    const values = new Map([
      ["MONGODB_URL", at("mongodb://db/app", 1)],
      ["API_KEY", at("", 2, true)],
      ["PORT", at("9090", 3)],
      ["WORKERS", at("", 4)],
    ]);
    const { problems, typed } = checkVariables(values, await spec());
    expect(problems.map((p) => [p.variable, p.code, p.message])).toEqual([
      ["API_KEY", "missing", "API_KEY (/etc/env/secrets.env:2: empty): required but not set"],
    ]);
    expect(typed.get("PORT")).toBe(9090);
    expect(typed.has("WORKERS")).toBe(false);
  });
  it("3_missing required with description; long non-secret values are shortened", async () => {
    const s = await parseSpec("variables:\n  URL: { required: true, description: MongoDB URL }\n  N: int\n", "s.yaml");
    const { problems } = checkVariables(new Map([["N", at("x".repeat(500), 1)]]), s);
    expect(problems[0]!.message).toBe("URL: required but not set — MongoDB URL");
    expect(problems[1]!.message.length).toBeLessThan(140);
  });
});
