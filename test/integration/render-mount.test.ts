// The writer against a real bind mount (`mount --bind`, as root): a bind-mounted single file is rewritten in
// place (rename over a mount point fails with EBUSY), so the mount and the host file see the new content.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeOutputs } from "../../src/render/writer.js";
import { runCli } from "./cli.js";

let dir: string;
const mounted: string[] = [];

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("render-mount tests need root (mount --bind)");
  dir = await mkdtemp(join(tmpdir(), "portolan-mount-"));
});
afterAll(async () => {
  for (const m of mounted.reverse()) execFileSync("umount", [m]);
  await rm(dir, { recursive: true, force: true });
});

async function bindFile(name: string, content: string): Promise<{ host: string; target: string }> {
  const host = join(dir, `${name}.host`);
  const target = join(dir, `${name}.target`);
  await writeFile(host, content);
  await writeFile(target, "");
  execFileSync("mount", ["--bind", host, target]);
  mounted.push(target);
  return { host, target };
}

describe("bind-mounted destination", () => {
  it("0_writer_rewrites_in_place_and_the_host_file_sees_it", async () => {
    const { host, target } = await bindFile("w", "old\n");
    const before = await stat(target);
    const [r] = await writeOutputs([{ dest: target, content: "new\n", usesSecret: false }]);
    expect(r).toMatchObject({ status: "rendered", method: "in-place" });
    expect((await stat(target)).ino).toBe(before.ino);
    expect(await readFile(host, "utf8")).toBe("new\n");
    expect(await readFile(target, "utf8")).toBe("new\n");
  });

  it("1_cli_render_into_a_bind_mounted_config_file", async () => {
    const { host, target } = await bindFile("cli", '{"old": true}\n');
    const tpl = join(dir, "c.json.mustache");
    await writeFile(tpl, '{"url": "{{MONGODB_URL}}"}\n');
    const r = runCli(["render", "--template", `${tpl}:${target}`], { MONGODB_URL: "mongodb://db:27017/push" });
    expect(r.stderr).toContain('"method":"in-place"');
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(host, "utf8"))).toEqual({ url: "mongodb://db:27017/push" });
  });

  it("2_rename_over_the_mount_point_would_have_failed", async () => {
    // Proves the in-place path is needed, not just taken: the atomic path's rename fails on this target.
    const { target } = await bindFile("proof", "x");
    const tmp = join(dir, "proof.tmp");
    await writeFile(tmp, "y");
    expect(() => execFileSync("mv", ["-T", tmp, target], { stdio: "pipe" })).toThrow();
  });
});
