// The writer's symlink policy and bind mounts, for real (as root): a destination that is a symlink into another
// filesystem (a tmpfs mounted here) is replaced, never written through; a bind-mounted destination reached
// through a symlinked directory is found (real path) and rewritten in place, with `mount --bind` and in a
// container started by dockerd (`-v`). Plus the usage errors of bad destinations, through the CLI.
import { execFileSync } from "node:child_process";
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_USAGE } from "../../src/core/exit-codes.js";
import { runCli } from "./cli.js";
import { RUN_LABEL } from "./docker.js";
import { TESTBED } from "./testbed.js";

const ROOT = new URL("../../", import.meta.url).pathname;
let dir: string;
const mounted: string[] = [];
const containers: string[] = [];

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("render-files tests need root (mount)");
  dir = await mkdtemp(join(tmpdir(), "portolan-files-"));
});
afterAll(async () => {
  for (const c of containers) execFileSync("docker", ["rm", "-f", c], { stdio: "ignore" });
  for (const m of mounted.reverse()) execFileSync("umount", [m]);
  await rm(dir, { recursive: true, force: true });
});

async function template(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

describe("symlink policy", () => {
  it("0_a_link_into_another_filesystem_is_replaced_its_0600_target_untouched", async () => {
    const other = join(dir, "tmpfs");
    await mkdir(other);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "portolan-test", other]);
    mounted.push(other);
    const precious = join(other, "shadow");
    await writeFile(precious, "root:secret\n");
    await chmod(precious, 0o600);
    const dest = join(dir, "app.conf");
    await symlink(precious, dest);
    const r = runCli(["render", "--template", `${await template("a.mustache", "port={{PORT}}\n")}:${dest}`], { PORT: "80" });
    expect(r.code).toBe(0);
    expect(await readFile(precious, "utf8")).toBe("root:secret\n");
    expect((await stat(precious)).mode & 0o7777).toBe(0o600);
    expect((await lstat(dest)).isFile()).toBe(true);
    expect(await readFile(dest, "utf8")).toBe("port=80\n");
  });

  it("1_a_link_on_the_same_filesystem_is_treated_the_same", async () => {
    const target = join(dir, "same-fs-target");
    await writeFile(target, "keep\n", { mode: 0o600 });
    const dest = join(dir, "same-fs-link");
    await symlink(target, dest);
    expect(runCli(["render", "--template", `${await template("b.mustache", "x\n")}:${dest}`]).code).toBe(0);
    expect(await readFile(target, "utf8")).toBe("keep\n");
    expect((await lstat(dest)).isFile()).toBe(true);
  });

  it("2_an_existing_0600_file_stays_0600_without_an_explicit_mode", async () => {
    const dest = join(dir, "private.conf");
    await writeFile(dest, "old\n");
    await chmod(dest, 0o600);
    expect(runCli(["render", "--template", `${await template("c.mustache", "new\n")}:${dest}`]).code).toBe(0);
    expect((await stat(dest)).mode & 0o7777).toBe(0o600);
    expect(await readFile(dest, "utf8")).toBe("new\n");
  });
});

describe("bind mounts reached through a symlinked directory", () => {
  it("0_mount_bind_on_the_same_filesystem_is_written_in_place", async () => {
    await mkdir(join(dir, "real"));
    const host = join(dir, "host.json");
    await writeFile(host, "{}\n");
    const target = join(dir, "real", "config.json");
    await writeFile(target, "");
    execFileSync("mount", ["--bind", host, target]);
    mounted.push(target);
    await symlink(join(dir, "real"), join(dir, "via"));
    const r = runCli(["render", "--template", `${await template("d.json.mustache", '{"v": "{{V}}"}\n')}:${join(dir, "via", "config.json")}`], { V: "1" });
    expect(r.stderr).toContain('"method":"in-place"');
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(host, "utf8"))).toEqual({ v: "1" });
  });

  it("1_docker_volume_file_inside_a_volume_dir_through_a_symlink", async () => {
    const vol = join(dir, "vol");
    await mkdir(vol);
    const host = join(dir, "docker-host.json");
    await writeFile(host, '{"old": true}\n');
    await writeFile(join(vol, "config.json"), "");
    const tpl = await template("e.json.mustache", '{"url": "{{URL}}"}\n');
    const name = `signals-files-${process.pid}`;
    containers.push(name);
    const out = execFileSync(
      "docker",
      [
        "run", "--name", name, "--label", `${RUN_LABEL}=signals-files`, "--network", "none", "-e", "URL=mongodb://db/x",
        "-v", `${join(ROOT, "dist")}:/opt/portolan/dist:ro`, "-v", `${join(ROOT, "node_modules")}:/opt/portolan/node_modules:ro`,
        "-v", `${join(ROOT, "package.json")}:/opt/portolan/package.json:ro`, "-v", `${tpl}:/app/t.mustache:ro`,
        "-v", `${vol}:/app/real`, "-v", `${host}:/app/real/config.json`,
        TESTBED.nodeImage, "sh", "-c", "ln -s /app/real /app/link && node /opt/portolan/dist/src/cli/portolan.cjs render --template /app/t.mustache:/app/link/config.json 2>&1; echo exit=$?",
      ],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(out).toContain('"method":"in-place"');
    expect(out).toContain("exit=0");
    expect(JSON.parse(await readFile(host, "utf8"))).toEqual({ url: "mongodb://db/x" });
  });
});

describe("bad destinations are usage errors, nothing written", () => {
  it("0_setuid_mode_needs_allow_special_modes", async () => {
    const tpl = await template("m.mustache", "#!/bin/sh\n");
    const dest = join(dir, "suid");
    const refused = runCli(["render", "--template", `${tpl}:${dest}:4755`]);
    expect(refused.code).toBe(EXIT_USAGE);
    expect(refused.stderr).toContain("--allow-special-modes");
    await expect(stat(dest)).rejects.toThrow();
    expect(runCli(["render", "--allow-special-modes", "--template", `${tpl}:${dest}:4755`]).code).toBe(0);
    expect((await stat(dest)).mode & 0o7777).toBe(0o4755);
  });

  it("1_two_templates_with_the_same_dest_name_both", async () => {
    const a = await template("dup-a.mustache", "a");
    const b = await template("dup-b.mustache", "b");
    const dest = join(dir, "dup-out");
    const r = runCli(["render", "--template", `${a}:${dest}`, "--template", `${b}:${dest}`]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain(a);
    expect(r.stderr).toContain(b);
    await expect(stat(dest)).rejects.toThrow();
  });

  it("2_dot_only_template_dir_name", async () => {
    await mkdir(join(dir, "tdir"));
    await writeFile(join(dir, "tdir", "..tmpl"), "x");
    const r = runCli(["render", "--template-dir", `${join(dir, "tdir")}:${join(dir, "tout")}`]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain("..tmpl");
    await expect(stat(join(dir, "tout"))).rejects.toThrow();
  });
});
