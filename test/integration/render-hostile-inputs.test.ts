// Hostile and careless inputs to `portolan render`, through the built CLI (bin/portolan, as an image runs it):
// each must end in bounded time with the documented exit code and a message naming the input, writing nothing.
// Runs are killed with SIGKILL after 10 s: a process blocked in a synchronous read does not handle SIGTERM.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_CANTCREAT, EXIT_CONFIG, EXIT_NOINPUT } from "../../src/core/exit-codes.js";
import { assertBuilt } from "./cli.js";

const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "portolan-hostile-"));
const mounted: string[] = [];
afterAll(() => {
  for (const m of mounted.reverse()) spawnSync("umount", [m]);
  rmSync(dir, { recursive: true, force: true });
});

function render(args: string[], env: Record<string, string> = {}) {
  assertBuilt();
  const r = spawnSync(BIN, ["render", ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/root", ...env },
    timeout: 10_000,
    killSignal: "SIGKILL",
  });
  return { code: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout };
}

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("inputs that are not regular files are refused at once, never read", () => {
  const fifo = join(dir, "fifo");
  spawnSync("mkfifo", [fifo]);
  const tmpl = file("t.mustache", "x={{A}}\n");
  const env = file("a.env", "A=1\n");
  const cases: Array<{ name: string; args: (out: string) => string[]; env?: Record<string, string>; code: number; names: string }> = [
    { name: "env_file_fifo", args: (o) => ["--environment-file", fifo, "--template", `${tmpl}:${o}`], code: EXIT_CONFIG, names: fifo },
    { name: "spec_fifo", args: (o) => ["--spec", fifo, "--environment-file", env, "--template", `${tmpl}:${o}`], code: EXIT_CONFIG, names: fifo },
    { name: "template_fifo", args: (o) => ["--environment-file", env, "--template", `${fifo}:${o}`], code: EXIT_NOINPUT, names: fifo },
    {
      name: "NAME_FILE_fifo",
      args: (o) => ["--environment-file", env, "--template", `${tmpl}:${o}`],
      env: { DB_PASSWORD_FILE: fifo },
      code: EXIT_CONFIG,
      names: "DB_PASSWORD",
    },
    { name: "env_file_char_device", args: (o) => ["--environment-file", "/dev/zero", "--template", `${tmpl}:${o}`], code: EXIT_CONFIG, names: "/dev/zero" },
  ];
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      const out = join(dir, `out-${i}`);
      const r = render(c.args(out), c.env);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(c.code);
      expect(r.stderr).toContain(c.names);
      expect(r.stderr).toContain("not a regular file");
      expect(existsSync(out)).toBe(false);
    }),
  );
});

describe("destinations that cannot all be written leave every file as it was", () => {
  it("0_a_full_disk_midway_writes_none_of_the_outputs", () => {
    if (process.getuid?.() !== 0) throw new Error("this test needs root (mount)");
    const full = join(dir, "full");
    mkdirSync(full);
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "portolan-hostile-full", full]).status).toBe(0);
    mounted.push(full);
    writeFileSync(join(full, "a.conf"), "old\n");
    const small = file("small.mustache", "a={{A}}\n");
    const big = file("big.mustache", "b".repeat(200_000));
    const r = render(["--environment-file", file("full.env", "A=1\n"), "--template", `${small}:${join(full, "a.conf")}`, "--template", `${big}:${join(full, "b.conf")}`]);
    expect(r.code).toBe(EXIT_CANTCREAT);
    expect(r.stderr).toContain(join(full, "b.conf"));
    expect(r.stderr).toContain("ENOSPC");
    expect(readFileSync(join(full, "a.conf"), "utf8")).toBe("old\n");
    expect(readdirSync(full)).toEqual(["a.conf"]);
  });
});

describe("a spec pattern that backtracks exponentially", () => {
  it("0_a_value_that_almost_matches_is_refused_at_once", () => {
    const spec = file("redos.yaml", 'variables:\n  A: { pattern: "^(\\\\w+\\\\s?)*$" }\n');
    const env = file("redos.env", `A=${"a".repeat(40)}!\n`);
    const out = join(dir, "redos-out");
    const r = render(["--spec", spec, "--environment-file", env, "--template", `${file("r.mustache", "{{A}}")}:${out}`]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(EXIT_CONFIG);
    expect(r.stderr).toContain("A (");
    expect(existsSync(out)).toBe(false);
  });
});
