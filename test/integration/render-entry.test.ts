// The container-start entry as users run it: bin/portolan render|exec -> node dist/src/cli/portolan.cjs, which
// compiles the one-file CommonJS bundle (start.cjs) with its build-time V8 code cache. Checks that it behaves
// like `node dist/src/cli/main.js` (same files, exit codes, signals, fallbacks to commander), that the cache
// this build wrote is accepted by this node, and that a cache V8 rejects changes nothing but speed.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_USAGE } from "../../src/core/exit-codes.js";
import { assertBuilt, runCli } from "./cli.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin/portolan");
const DIST_CLI = join(ROOT, "dist/src/cli");
const EXAMPLE = join(ROOT, "examples/push-server");

interface Loader {
  loadBundle(cachePath?: string | null): { exports: { start?: unknown }; cacheRejected: boolean | undefined };
  CACHE: string;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), "portolan-entry-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("code cache", () => {
  it("0_the_build_wrote_a_cache_this_node_accepts", () => {
    const loader = createRequire(import.meta.url)(join(DIST_CLI, "portolan.cjs")) as Loader;
    expect(existsSync(loader.CACHE)).toBe(true);
    const b = loader.loadBundle();
    expect(b.cacheRejected).toBe(false);
    expect(typeof b.exports.start).toBe("function");
  });

  it("1_a_cache_v8_rejects_falls_back_to_compiling_silently", async () => {
    // A copy of the entry + bundle whose cache is garbage: V8 rejects it, the command still works and says nothing.
    const copy = join(dir, "corrupt");
    await mkdir(copy);
    for (const f of ["portolan.cjs", "start.cjs"]) copyFileSync(join(DIST_CLI, f), join(copy, f));
    await writeFile(join(copy, "start.cjs.v8cache"), Buffer.alloc(4096, 7));
    const loader = createRequire(import.meta.url)(join(copy, "portolan.cjs")) as Loader;
    expect(loader.loadBundle().cacheRejected).toBe(true);
    await writeFile(join(dir, "c.env"), "GREETING=hello\n");
    const r = run(process.execPath, [join(copy, "portolan.cjs"), "exec", "--environment-file", join(dir, "c.env"), "--", "sh", "-c", 'echo "$GREETING"; exit 7']);
    expect(r).toEqual({ code: 7, stdout: "hello\n", stderr: "" });
  });
});

describe("bin/portolan render|exec through portolan.cjs", () => {
  it("0_renders_the_example_like_main_js_yaml_spec_and_log_lines_included", async () => {
    // spec.yaml loads yaml and a first write logs through pino: both are import()s routed through __import.
    const args = (dest: string) => ["render", "--env-dir", join(EXAMPLE, "env"), "--name", "push-server", "--spec", join(EXAMPLE, "spec.yaml"), "--template", `${join(EXAMPLE, "config.json.mustache")}:${dest}`];
    const viaBin = run(BIN, args(join(dir, "bin.json")));
    const viaMain = runCli(args(join(dir, "main.json")));
    expect(viaBin.code).toBe(0);
    expect(viaMain.code).toBe(0);
    expect(await readFile(join(dir, "bin.json"), "utf8")).toBe(await readFile(join(dir, "main.json"), "utf8"));
    expect(JSON.parse(viaBin.stderr.trim().split("\n")[0]!)).toMatchObject({ msg: "rendered", dest: join(dir, "bin.json") });
  });

  const cases: { name: string; args: string[]; code: number; stdout?: string; stderr?: string }[] = [
    { name: "exit_code_and_layered_env_pass_through", args: ["exec", "--environment-file", "ENV", "--", "sh", "-c", 'echo "$GREETING"; exit 5'], code: 5, stdout: "hello\n" },
    { name: "help_goes_to_commander", args: ["exec", "--help"], code: 0, stdout: "Usage: portolan exec" },
    { name: "bad_flag_exits_64", args: ["render", "--no-such-flag"], code: EXIT_USAGE, stderr: "--no-such-flag" },
    // The zk URI parser throws RegistryUriError: it must be the bundle's own class for render-run's instanceof.
    { name: "bad_zk_registry_uri_is_a_usage_error", args: ["render", "--registry", "zk://127.0.0.1:1/x/", "--template", "/dev/null:OUT"], code: EXIT_USAGE, stderr: "--registry: " },
  ];
  cases.forEach((c, i) => {
    it(`${i + 1}_${c.name}`, async () => {
      await writeFile(join(dir, "e.env"), "GREETING=hello\n");
      const args = c.args.map((a) => a.replace(/^ENV$/, join(dir, "e.env")).replace(/OUT$/, join(dir, "unused.out")));
      const r = run(BIN, args);
      expect(r.code).toBe(c.code);
      if (c.stdout !== undefined) expect(r.stdout).toContain(c.stdout);
      if (c.stderr !== undefined) expect(r.stderr).toContain(c.stderr);
    });
  });

  it("5_other_commands_still_run_main_js", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(run(process.execPath, [join(DIST_CLI, "portolan.cjs"), "--version"]).stdout.trim()).toBe(version);
  });

  // The daemons keep what they load: the render/exec bundle and its code cache are for render and exec only.
  const bundleReads: Array<{ case: string; args: string[]; reads: boolean }> = [
    { case: "render_help", args: ["render", "--help"], reads: true },
    { case: "version", args: ["--version"], reads: false },
    { case: "registrator_help", args: ["registrator", "--help"], reads: false },
    { case: "dns_help", args: ["dns", "--help"], reads: false },
  ];
  bundleReads.forEach((c, i) => {
    it(`${i + 6}_${c.case}_${c.reads ? "reads" : "never_reads"}_the_render_bundle`, async () => {
      // Preloaded before portolan.cjs: notes every file read through fs.readFileSync (how portolan.cjs reads both).
      const probe = join(dir, "reads.cjs");
      await writeFile(probe, 'const fs = require("node:fs"); const read = fs.readFileSync; const seen = []; fs.readFileSync = (f, ...a) => (seen.push(String(f)), read(f, ...a)); process.on("exit", () => process.stderr.write(`READS ${JSON.stringify(seen)}\n`));\n');
      const r = run(process.execPath, ["-r", probe, join(DIST_CLI, "portolan.cjs"), ...c.args]);
      expect(r.code).toBe(0);
      const reads = JSON.parse(/^READS (.*)$/m.exec(r.stderr)![1]!) as string[];
      expect(reads.some((f) => f.endsWith("/start.cjs") || f.endsWith("/start.cjs.v8cache"))).toBe(c.reads);
    });
  });

  it("10_sigterm_reaches_the_program_and_its_exit_code_passes_through", async () => {
    const p = spawn(BIN, ["exec", "--", "sh", "-c", 'trap "exit 3" TERM; echo ready; while :; do sleep 0.1; done'], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
    const end = Date.now() + 20_000;
    while (!out.includes("ready")) {
      if (Date.now() > end) throw new Error("program never started");
      await new Promise((r) => setTimeout(r, 25));
    }
    p.kill("SIGTERM");
    expect(await exited).toBe(3);
  });

  // Built-ins a container start does not need cost CPU at every start: node:fs/promises (with readline, fs/dir,
  // the watchers) ~1.5 ms, node:v8 (heap_utils, promise_hooks) ~2 ms. An exec with --env-dir and a spec without
  // `pattern`, whose files are already rendered, uses neither; a `pattern` loads node:v8 (bounded backtracking).
  const specs = [
    { case: "without_pattern", variables: { GREETING: { type: "string" } }, v8: false },
    { case: "with_pattern", variables: { GREETING: { type: "string", pattern: "^h" } }, v8: true },
  ];
  specs.forEach((c, i) => {
    it(`${i + 11}_exec_with_env_dir_a_spec_${c.case}_and_unchanged_files_never_loads_fs_promises${c.v8 ? "" : "_or_v8"}`, async () => {
      const envDir = join(dir, "envdir");
      await mkdir(envDir, { recursive: true });
      await writeFile(join(envDir, "app.env"), "GREETING=hello\n");
      await writeFile(join(dir, "g.mustache"), "{{GREETING}}\n");
      await writeFile(join(dir, `${c.case}.json`), JSON.stringify({ variables: c.variables }));
      const probe = join(dir, "modules.cjs");
      await writeFile(probe, 'process.on("exit", () => process.stderr.write(`MODULES ${JSON.stringify(process.moduleLoadList)}\\n`));\n');
      const args = [join(DIST_CLI, "portolan.cjs"), "exec", "--env-dir", envDir, "--name", "app", "--spec", join(dir, `${c.case}.json`)];
      args.push("--template", `${join(dir, "g.mustache")}:${join(dir, "g.out")}`, "--", "true");
      expect(run(process.execPath, args).code).toBe(0); // writes g.out (the first case)
      const r = run(process.execPath, ["-r", probe, ...args]);
      expect(r.code).toBe(0);
      const modules = JSON.parse(/^MODULES (.*)$/m.exec(r.stderr)![1]!) as string[];
      expect(modules).toContain("NativeModule child_process");
      expect(modules).not.toContain("NativeModule internal/fs/promises");
      expect(modules.includes("NativeModule v8")).toBe(c.v8);
    });
  });
});
