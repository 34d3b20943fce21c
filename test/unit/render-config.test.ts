import { describe, expect, it } from "vitest";
import { exitCodeOf } from "../../src/cli/exit.js";
import { childEnv, envFileRef, formatResolved, loadConfig, type LoadConfigOptions } from "../../src/render/config.js";
import { ConfigError } from "../../src/render/errors.js";
import { EXIT_CONFIG } from "../../src/core/exit-codes.js";
import { parseSpec } from "../../src/render/spec.js";
import { formatProvenance, type ConfigProblem, type ResolvedConfig } from "../../src/render/types.js";

/**
 * An in-memory file system: path -> content, or an errno code the read fails with (`{ code: "EISDIR" }`: an empty
 * directory). A path with files below it is a directory too. Records every read.
 */
function fakeFs(files: Record<string, string | { code: string }>) {
  const reads: string[] = [];
  const readFile = async (p: string) => {
    reads.push(p);
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
    if (typeof f !== "string") throw Object.assign(new Error(`${f.code}: ${p}`), { code: f.code });
    return f;
  };
  const stat = async (p: string) => {
    const dir = p.replace(/\/$/, "");
    const f = files[dir];
    if (typeof f === "string") return { isDirectory: () => false };
    if (f?.code === "EISDIR" || Object.keys(files).some((k) => k.startsWith(`${dir}/`))) return { isDirectory: () => true };
    throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
  };
  return { readFile, stat, reads };
}

function opts(files: Record<string, string | { code: string }>, o: Partial<LoadConfigOptions> = {}): LoadConfigOptions & { reads: string[] } {
  const fs = fakeFs(files);
  return { envFiles: [], format: "systemd", processEnv: {}, readFile: fs.readFile, stat: fs.stat, reads: fs.reads, ...o };
}

const where = (c: ResolvedConfig, name: string) => {
  const v = c.values.get(name);
  return v ? [v.value, formatProvenance(v.source)] : undefined;
};

async function problemsOf(p: Promise<unknown>): Promise<ConfigProblem[]> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).problems;
}

describe("layering precedence", () => {
  const spec = parseSpec("variables:\n  A: { default: from-spec }\n", "spec.yaml");
  const files = { "/f1.env": "A=one\n", "/f2.env": "\nA=two\n", "/d/secrets.env": "A=dir\n", "/d/svc.env": "B=1\nA=svc\n" };
  const rows: Array<[string, Partial<LoadConfigOptions>, [string, string]]> = [
    ["spec default only", {}, ["from-spec", "default in spec.yaml"]],
    ["file beats spec default", { envFiles: [{ path: "/f1.env", optional: false }] }, ["one", "/f1.env:1"]],
    ["later file beats earlier", { envFiles: [{ path: "/f1.env", optional: false }, { path: "/f2.env", optional: false }] }, ["two", "/f2.env:2"]],
    ["order as given", { envFiles: [{ path: "/f2.env", optional: false }, { path: "/f1.env", optional: false }] }, ["one", "/f1.env:1"]],
    ["env-dir after explicit files", { envFiles: [{ path: "/f2.env", optional: false }], envDir: "/d" }, ["dir", "/d/secrets.env:1"]],
    ["<name>.env last in env-dir", { envFiles: [{ path: "/f2.env", optional: false }], envDir: "/d/", name: "svc" }, ["svc", "/d/svc.env:2"]],
    ["process env beats files", { envFiles: [{ path: "/f1.env", optional: false }], processEnv: { A: "env" } }, ["env", "process env"]],
    ["filesOverrideEnv", { envFiles: [{ path: "/f1.env", optional: false }], processEnv: { A: "env" }, filesOverrideEnv: true }, ["one", "/f1.env:1"]],
    ["filesOverrideEnv, no file sets it", { processEnv: { A: "env" }, filesOverrideEnv: true }, ["env", "process env"]],
    ["empty value replaced by spec default", { processEnv: { A: "" } }, ["from-spec", "default in spec.yaml"]],
  ];
  rows.forEach(([name, o, want], i) =>
    it(`${i}_${name}`, async () => {
      const c = await loadConfig(opts(files, { spec: await spec, ...o }));
      expect(where(c, "A")).toEqual(want);
    }),
  );
  it(`${rows.length}_env-dir reads its files in the documented order`, async () => {
    const o = opts({ "/d": { code: "EISDIR" } }, { envFiles: [{ path: "/x.env", optional: true }], envDir: "/d", name: "push" });
    await loadConfig(o);
    expect(o.reads).toEqual(["/x.env", "/d/service-locations.env", "/d/service-config.env", "/d/cluster.env", "/d/secrets.env", "/d/push.env"]);
  });
  it(`${rows.length + 1}_every variable reaches the child env, declared or not`, async () => {
    const c = await loadConfig(opts({ "/f.env": "X=1\nY=2\n" }, { envFiles: [{ path: "/f.env", optional: false }], processEnv: { PATH: "/bin" }, spec: await spec }));
    expect(childEnv(c)).toEqual({ X: "1", Y: "2", PATH: "/bin", A: "from-spec" });
    expect(c.values.get("X")?.typed).toBe("1");
  });
  it(`${rows.length + 2}_dotenv format`, async () => {
    const c = await loadConfig(opts({ "/f.env": "export A=b # c\n" }, { envFiles: [{ path: "/f.env", optional: false }], format: "dotenv" }));
    expect(where(c, "A")).toEqual(["b", "/f.env:1"]);
  });
});

describe("env files: missing, unreadable, warnings", () => {
  it("0_optional missing file is skipped", async () => {
    const c = await loadConfig(opts({}, { envFiles: [{ path: "/nope.env", optional: true }] }));
    expect(c.values.size).toBe(0);
  });
  it("1_required missing file is a problem naming the path; other files' problems come too", async () => {
    const spec = await parseSpec("variables:\n  P: port\n", "s.yaml");
    const o = opts({ "/bad.env": "P=x\n", "/etc/dir.env": { code: "EISDIR" }, "/locked.env": { code: "EACCES" } }, {
      envFiles: [
        { path: "/nope.env", optional: false },
        { path: "/bad.env", optional: false },
        { path: "/etc/dir.env", optional: false },
        { path: "/locked.env", optional: true },
      ],
      spec,
    });
    const problems = await problemsOf(loadConfig(o));
    expect(problems.map((p) => p.code)).toEqual(["file-missing", "file-unreadable", "file-unreadable", "invalid"]);
    expect(problems[0]!.message).toContain("/nope.env");
    expect(problems[2]!.message).toContain("/locked.env");
    expect(problems[3]!.message).toBe('P (/bad.env:1): "x" is not a port number (1..65535)');
  });
  const nulFormats = ["systemd", "dotenv"] as const;
  nulFormats.forEach((format, i) =>
    it(`${4 + i}_a_NUL_byte_in_an_env_file_is_a_problem_naming_file_line_${format}`, async () => {
      const o = opts({ "/n.env": "A=1\nB=x\0secret\nC=3\n" }, { envFiles: [{ path: "/n.env", optional: false }], format });
      const problems = await problemsOf(loadConfig(o));
      expect(problems.map((p) => [p.code, p.source && formatProvenance(p.source)])).toEqual([["nul-byte", "/n.env:2"]]);
      expect(problems[0]!.message).not.toContain("secret");
    }),
  );
  it("2_ignored lines are warnings with file:line", async () => {
    const c = await loadConfig(opts({ "/a.env": "A=1\nexport B=2\n" }, { envFiles: [{ path: "/a.env", optional: false }] }));
    expect(c.warnings?.map((w) => [w.code, w.source && formatProvenance(w.source)])).toEqual([["ignored-line", "/a.env:2"]]);
    expect(c.values.has("B")).toBe(false);
  });
  it("3_an env dir without any of its files is a warning", async () => {
    const empty = await loadConfig(opts({ "/mnt/env": { code: "EISDIR" } }, { envDir: "/mnt/env", name: "app" }));
    expect(empty.warnings?.map((w) => [w.code, w.message])).toEqual([
      ["env-dir-empty", "--env-dir /mnt/env: none of service-locations.env, service-config.env, cluster.env, secrets.env, app.env exists"],
    ]);
    const one = await loadConfig(opts({ "/mnt/env/cluster.env": "A=1\n", "/x.env": "" }, { envFiles: [{ path: "/x.env", optional: false }], envDir: "/mnt/env" }));
    expect(one.warnings).toEqual([]);
  });
  it("4_an env dir that is missing or not a directory is a problem naming it, with no empty-dir warning", async () => {
    const cases: Array<[string, Record<string, string | { code: string }>, string]> = [
      ["missing", {}, "--env-dir /mnt/env: no such directory"],
      ["a file", { "/mnt/env": "A=1\n" }, "--env-dir /mnt/env: not a directory"],
    ];
    for (const [name, files, message] of cases) {
      const problems = await problemsOf(loadConfig(opts(files, { envDir: "/mnt/env", name: "app" })));
      expect([name, problems.map((p) => [p.code, p.message])]).toEqual([name, [["env-dir-missing", message]]]);
    }
  });
});

describe("NAME_FILE", () => {
  const SECRET = "s3cr3t-value";
  const rows: Array<{
    name: string;
    files?: Record<string, string | { code: string }>;
    envFiles?: string[];
    env?: Record<string, string>;
    filesOverrideEnv?: boolean;
    spec?: string;
    want: [string, string] | undefined;
    codes?: string[];
    warn?: string[];
    read?: boolean;
  }> = [
    { name: "file supplies NAME, one newline stripped", env: { DB_PASSWORD_FILE: "/run/secrets/db" }, want: [SECRET, "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "only one trailing newline stripped", files: { "/run/secrets/db": "wxyz\n\n" }, env: { DB_PASSWORD_FILE: "/run/secrets/db" }, want: ["wxyz\n", "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "CRLF counts as one newline", files: { "/run/secrets/db": "wxyz\r\n" }, env: { DB_PASSWORD_FILE: "/run/secrets/db" }, want: ["wxyz", "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "no newline kept as is", files: { "/run/secrets/db": " xyz " }, env: { DB_PASSWORD_FILE: "/run/secrets/db" }, want: [" xyz ", "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "NAME_FILE in env beats NAME in a file", envFiles: ["/a.env"], files: { "/a.env": "DB_PASSWORD=old\n" }, env: { DB_PASSWORD_FILE: "/run/secrets/db" }, want: [SECRET, "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "later file's NAME_FILE beats earlier file's NAME", envFiles: ["/a.env", "/b.env"], files: { "/a.env": "DB_PASSWORD=old\n", "/b.env": "DB_PASSWORD_FILE=/run/secrets/db\n" }, want: [SECRET, "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "NAME in env beats NAME_FILE in a file (file not read)", envFiles: ["/a.env"], files: { "/a.env": "DB_PASSWORD_FILE=/run/secrets/db\n" }, env: { DB_PASSWORD: "direct" }, want: ["direct", "process env"], warn: ["overridden"], read: false },
    { name: "filesOverrideEnv flips it", envFiles: ["/a.env"], files: { "/a.env": "DB_PASSWORD_FILE=/run/secrets/db\n" }, env: { DB_PASSWORD: "direct" }, filesOverrideEnv: true, want: [SECRET, "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "both in one file: conflict", envFiles: ["/a.env"], files: { "/a.env": "DB_PASSWORD=xxxx\nDB_PASSWORD_FILE=/run/secrets/db\n" }, want: undefined, codes: ["conflict"] },
    { name: "both in process env: conflict", env: { DB_PASSWORD: "xxxx", DB_PASSWORD_FILE: "/run/secrets/db" }, want: undefined, codes: ["conflict"] },
    { name: "spec default is overridden by the file", spec: "variables:\n  DB_PASSWORD: { default: dflt }\n", env: { DB_PASSWORD_FILE: "/run/secrets/db" }, want: [SECRET, "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "empty NAME counts as unset", envFiles: ["/a.env"], files: { "/a.env": "DB_PASSWORD=\nDB_PASSWORD_FILE=/run/secrets/db\n" }, want: [SECRET, "/run/secrets/db (via DB_PASSWORD_FILE)"] },
    { name: "empty NAME_FILE is ignored", env: { DB_PASSWORD_FILE: "" }, want: undefined, read: false },
    { name: "unreadable file: problem, not also 'missing'", spec: "variables:\n  DB_PASSWORD: { required: true }\n", files: { "/run/secrets/db": { code: "EACCES" } }, env: { DB_PASSWORD_FILE: "/run/secrets/db" }, want: undefined, codes: ["secret-file-unreadable"] },
    { name: "missing file: problem", files: { "/run/secrets/db": { code: "ENOENT" } }, env: { DB_PASSWORD_FILE: "/run/secrets/db" }, want: undefined, codes: ["secret-file-unreadable"] },
    { name: "not applied to non-secret undeclared names (LOG_FILE)", env: { LOG_FILE: "/run/secrets/db" }, want: undefined, read: false },
    { name: "applied to declared names", spec: "variables:\n  MONGODB_URL: { type: url, secret: false }\n", files: { "/run/secrets/db": "mongodb://db/x\n" }, env: { MONGODB_URL_FILE: "/run/secrets/db" }, want: ["mongodb://db/x", "/run/secrets/db (via MONGODB_URL_FILE)"] },
  ];
  rows.forEach((r, i) =>
    it(`${i}_${r.name}`, async () => {
      const files = { "/run/secrets/db": `${SECRET}\n`, ...r.files };
      const o = opts(files, {
        envFiles: (r.envFiles ?? []).map((path) => ({ path, optional: false })),
        processEnv: r.env ?? {},
        filesOverrideEnv: r.filesOverrideEnv,
        spec: r.spec ? await parseSpec(r.spec, "spec.yaml") : undefined,
      });
      const base = (r.env?.LOG_FILE ? "LOG" : r.env?.MONGODB_URL_FILE ? "MONGODB_URL" : "DB_PASSWORD") as string;
      if (r.codes) {
        const problems = await problemsOf(loadConfig(o));
        expect(problems.map((p) => p.code)).toEqual(r.codes);
        const text = new ConfigError(problems).format();
        expect(text).toContain(base);
        expect(text).not.toContain(SECRET);
        if (r.codes[0] === "conflict") expect(text).toContain(`${base}_FILE`);
        if (r.codes[0] === "secret-file-unreadable") expect(text).toContain("/run/secrets/db");
        return;
      }
      const c = await loadConfig(o);
      expect(where(c, base)).toEqual(r.want);
      if (r.want && c.values.get(base)?.source.kind === "secret-file") {
        expect(c.values.get(base)?.secret).toBe(true);
        expect(c.secrets.has(base)).toBe(true);
      }
      expect((c.warnings ?? []).map((w) => w.code)).toEqual(r.warn ?? []);
      if (r.read === false) expect(o.reads).not.toContain("/run/secrets/db");
    }),
  );
});

describe("secrets and ConfigError", () => {
  it("0_secret by spec, by NAME_FILE, by name pattern; spec secret:false wins over the pattern", async () => {
    const spec = await parseSpec("variables:\n  OPAQUE: { secret: true }\n  PUBLIC_KEY: { secret: false }\n", "s.yaml");
    const c = await loadConfig(
      opts({ "/s": "vvvv" }, { spec, processEnv: { OPAQUE: "aaaa", PUBLIC_KEY: "b", GH_TOKEN: "cccc", DB_Password: "dddd", PLAIN: "e", X_CREDENTIALS_FILE: "/s" } }),
    );
    expect([...c.secrets].sort()).toEqual(["DB_Password", "GH_TOKEN", "OPAQUE", "X_CREDENTIALS"]);
  });
  it("1_secretNamePattern null or custom", async () => {
    const env = { GH_TOKEN: "cccc", MY_PRIVATE: "pppp" };
    expect([...(await loadConfig(opts({}, { processEnv: env, secretNamePattern: null }))).secrets]).toEqual([]);
    expect([...(await loadConfig(opts({}, { processEnv: env, secretNamePattern: /PRIVATE$/ }))).secrets]).toEqual(["MY_PRIVATE"]);
  });
  it("2_every problem at once; format() has one line per problem and no secret values", async () => {
    const spec = await parseSpec(
      "variables:\n  API_KEY: { secret: true, pattern: '^sk_' }\n  PORT: port\n  URL: { type: url, required: true }\n  DB_PASSWORD: { type: int }\n",
      "spec.yaml",
    );
    const o = opts({ "/etc/env/secrets.env": "# secrets\n\nAPI_KEY=pk_hunter2\nDB_PASSWORD=letmein\n", "/etc/env/config.env": "PORT=99999\n" }, {
      envFiles: [
        { path: "/etc/env/config.env", optional: false },
        { path: "/etc/env/secrets.env", optional: false },
        { path: "/etc/env/missing.env", optional: false },
      ],
      spec,
    });
    const err = await loadConfig(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(exitCodeOf(e)).toBe(EXIT_CONFIG);
    expect(e.format().split("\n")).toEqual([
      "environment file /etc/env/missing.env: not found",
      "API_KEY (/etc/env/secrets.env:3): the value does not match pattern /^sk_/",
      'PORT (/etc/env/config.env:1): "99999" is not a port number (1..65535)',
      "URL: required but not set",
      "DB_PASSWORD (/etc/env/secrets.env:4): the value is not an integer",
    ]);
    expect(e.message).not.toContain("hunter2");
    expect(e.message).not.toContain("letmein");
  });
});

describe("real files (fixtures/render)", () => {
  it("0_the five env-dir files, a YAML spec and a NAME_FILE secret", async () => {
    const { loadSpec } = await import("../../src/render/spec.js");
    const dir = "test/unit/fixtures/render";
    const spec = await loadSpec(`${dir}/spec.yaml`);
    const c = await loadConfig({ envFiles: [], envDir: `${dir}/envdir`, name: "push-server", format: "systemd", processEnv: { PORT: "9000" }, spec });
    expect(where(c, "LOG_LEVEL")).toEqual(["warn", `${dir}/envdir/cluster.env:2`]);
    expect(where(c, "PORT")).toEqual(["9000", "process env"]);
    expect(where(c, "WORKERS")).toEqual(["8", `${dir}/envdir/push-server.env:2`]);
    expect(where(c, "DEBUG")).toEqual(["false", `default in ${dir}/spec.yaml`]);
    expect(where(c, "DB_PASSWORD")).toEqual(["correct horse battery staple", "test/unit/fixtures/render/secrets/db_password (via DB_PASSWORD_FILE)"]);
    expect(c.values.get("TIMEOUT")?.typed).toBe(90_000);
    expect(c.values.get("PEERS")?.typed).toEqual([
      { host: "push1", port: 7000, hostPort: "push1:7000" },
      { host: "push2", port: 7000, hostPort: "push2:7000" },
    ]);
    expect(c.values.get("PORT")?.typed).toBe(9000);
    expect([...c.secrets].sort()).toEqual(["API_KEY", "DB_PASSWORD"]);
    expect(c.warnings?.map((w) => w.message)).toEqual([
      `${dir}/envdir/service-config.env:3: ignoring line: \`export\` is not supported in systemd env files (use --env-format dotenv)`,
    ]);
  });
});

describe("helpers for the CLI", () => {
  const refs: Array<[string, { path: string; optional: boolean }]> = [
    ["/etc/a.env", { path: "/etc/a.env", optional: false }],
    ["-/etc/a.env", { path: "/etc/a.env", optional: true }],
    ["rel.env", { path: "rel.env", optional: false }],
  ];
  refs.forEach(([arg, want], i) => it(`${i}_envFileRef ${arg}`, () => expect(envFileRef(arg)).toEqual(want)));
  it(`${refs.length}_formatResolved masks secrets and names sources`, async () => {
    const c = await loadConfig(opts({ "/a.env": "B=two words\nAPI_KEY=hunter2\n" }, { envFiles: [{ path: "/a.env", optional: false }], processEnv: { A: "1" } }));
    expect(formatResolved(c)).toBe('A="1"  # process env\nAPI_KEY=********  # /a.env:2\nB="two words"  # /a.env:1');
    expect(formatResolved(c, ["B", "NOPE"])).toBe('B="two words"  # /a.env:1');
  });
});
