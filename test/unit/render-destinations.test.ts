// Where outputs go: the symlink policy (the link is replaced, its target never written), modes never loosened
// without an explicit MODE, special mode bits only on request, one output per destination, no dot-only names.
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRenderOptions } from "../../src/cli/render-options.js";
import { checkDuplicateDestinations } from "../../src/render/destinations.js";
import { expandTemplateDir, loadTemplates } from "../../src/render/templates.js";
import { DuplicateDestinationError, SpecialModeError, TemplateNameError } from "../../src/render/run-errors.js";
import { effectiveMode, realDestination, writeOutputs } from "../../src/render/writer.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "portolan-dest-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const NO_MOUNTS = new Set<string>();

describe("symlink policy", () => {
  it("0_a_symlinked_destination_is_replaced_its_target_untouched", async () => {
    const target = join(dir, "elsewhere.conf");
    await writeFile(target, "precious\n", { mode: 0o600 });
    const dest = join(dir, "app.conf");
    await symlink(target, dest);
    const [r] = await writeOutputs([{ dest, content: "rendered\n", usesSecret: false }], { mountPoints: NO_MOUNTS });
    expect(r).toMatchObject({ status: "rendered", method: "rename", mode: 0o644 });
    expect((await lstat(dest)).isSymbolicLink()).toBe(false);
    expect(await readFile(dest, "utf8")).toBe("rendered\n");
    expect(await readFile(target, "utf8")).toBe("precious\n");
    expect((await stat(target)).mode & 0o7777).toBe(0o600);
  });

  it("1_a_link_to_identical_content_is_still_replaced_and_its_target_keeps_its_mode", async () => {
    const target = join(dir, "same.conf");
    await writeFile(target, "x\n", { mode: 0o600 });
    const dest = join(dir, "link.conf");
    await symlink(target, dest);
    const [r] = await writeOutputs([{ dest, content: "x\n", usesSecret: false, mode: 0o644 }], { mountPoints: NO_MOUNTS });
    expect(r).toMatchObject({ status: "rendered", method: "rename" });
    expect((await lstat(dest)).isFile()).toBe(true);
    expect((await stat(target)).mode & 0o7777).toBe(0o600); // no chmod through the link
  });

  it("2_a_dangling_link_is_replaced_nothing_created_at_its_target", async () => {
    const dest = join(dir, "dangling");
    const target = join(dir, "never-created");
    await symlink(target, dest);
    await writeOutputs([{ dest, content: "y", usesSecret: false }], { mountPoints: NO_MOUNTS });
    await expect(stat(target)).rejects.toThrow();
    expect(await readFile(dest, "utf8")).toBe("y");
  });

  it("3_a_hard_linked_destination_is_replaced_not_chmod_ed", async () => {
    const other = join(dir, "other-name");
    await writeFile(other, "same\n", { mode: 0o600 });
    const dest = join(dir, "hard");
    await link(other, dest);
    const [r] = await writeOutputs([{ dest, content: "same\n", usesSecret: false, mode: 0o644 }], { mountPoints: NO_MOUNTS });
    expect(r).toMatchObject({ status: "rendered", method: "rename", mode: 0o644 });
    expect((await stat(other)).mode & 0o7777).toBe(0o600);
    expect((await stat(dest)).mode & 0o7777).toBe(0o644);
  });

  it("4_directories_resolve_to_their_real_path_the_last_component_does_not", async () => {
    await mkdir(join(dir, "real"));
    await symlink(join(dir, "real"), join(dir, "via"));
    await symlink(join(dir, "x"), join(dir, "real", "leaf"));
    expect(realDestination(join(dir, "via", "leaf"))).toBe(join(dir, "real", "leaf"));
    expect(realDestination(join(dir, "missing", "a"))).toBe(join(dir, "missing", "a"));
    expect(await readlink(join(dir, "real", "leaf"))).toBe(join(dir, "x"));
  });
});

describe("modes", () => {
  const cases: Array<{ name: string; mode?: number; usesSecret: boolean; existing?: number; want: number }> = [
    { name: "new_file_default", usesSecret: false, want: 0o644 },
    { name: "new_secret_file", usesSecret: true, want: 0o600 },
    { name: "existing_0600_not_loosened", usesSecret: false, existing: 0o600, want: 0o600 },
    { name: "existing_0640_kept", usesSecret: false, existing: 0o640, want: 0o640 },
    { name: "existing_0666_narrowed_to_default", usesSecret: false, existing: 0o666, want: 0o644 },
    { name: "existing_4755_loses_setuid", usesSecret: false, existing: 0o4755, want: 0o644 },
    { name: "secret_narrows_existing_0644", usesSecret: true, existing: 0o644, want: 0o600 },
    { name: "explicit_mode_applies_as_given", mode: 0o664, usesSecret: false, existing: 0o600, want: 0o664 },
  ];
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, async () => {
      expect(effectiveMode({ usesSecret: c.usesSecret, ...(c.mode !== undefined && { mode: c.mode }) }, c.existing)).toBe(c.want);
      const dest = join(dir, "f");
      if (c.existing !== undefined) {
        await writeFile(dest, "old");
        await chmod(dest, c.existing);
      }
      await writeOutputs([{ dest, content: "new", usesSecret: c.usesSecret, ...(c.mode !== undefined && { mode: c.mode }) }], { mountPoints: NO_MOUNTS });
      expect((await stat(dest)).mode & 0o7777).toBe(c.want);
    }),
  );

  const flags: Array<{ name: string; args: Record<string, unknown>; error?: typeof SpecialModeError }> = [
    { name: "0777_allowed", args: { template: ["a:b:0777"] } },
    { name: "4755_refused", args: { template: ["a:b:4755"] }, error: SpecialModeError },
    { name: "7777_refused", args: { template: ["a:b:7777"] }, error: SpecialModeError },
    { name: "02775_dir_refused", args: { templateDir: ["a:b:02775"] }, error: SpecialModeError },
    { name: "1777_with_allow_flag", args: { template: ["a:b:1777"], allowSpecialModes: true } },
  ];
  flags.forEach((c, i) =>
    it(`${cases.length + i}_flag_${c.name}`, () => {
      const run = () => parseRenderOptions(c.args, "render");
      if (c.error) expect(run).toThrow(c.error);
      else expect(run).not.toThrow();
    }),
  );
});

describe("one output per destination, no dot-only names", () => {
  it("0_two_templates_with_one_dest_name_both", async () => {
    await writeFile(join(dir, "a.mustache"), "a");
    await writeFile(join(dir, "b.mustache"), "b");
    const out = join(dir, "out.conf");
    const err = await loadTemplates([{ src: join(dir, "a.mustache"), dest: out }, { src: join(dir, "b.mustache"), dest: `${dir}/./out.conf` }], []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateDestinationError);
    expect((err as DuplicateDestinationError).origins.join(" ")).toContain("a.mustache");
    expect((err as DuplicateDestinationError).origins.join(" ")).toContain("b.mustache");
  });

  it("1_template_and_template_dir_collide", async () => {
    await mkdir(join(dir, "src"));
    await writeFile(join(dir, "src", "app.conf.tmpl"), "t");
    await writeFile(join(dir, "one.mustache"), "o");
    const run = loadTemplates([{ src: join(dir, "one.mustache"), dest: join(dir, "out", "app.conf") }], [{ srcDir: join(dir, "src"), destDir: join(dir, "out") }]);
    await expect(run).rejects.toBeInstanceOf(DuplicateDestinationError);
  });

  it("2_distinct_destinations_pass", () => {
    expect(() => checkDuplicateDestinations([{ dest: "/a/b", origin: "x" }, { dest: "/a/c", origin: "y" }])).not.toThrow();
  });

  ["..tmpl", "...mustache", "sub/..tmpl", "....tmpl"].forEach((name, i) =>
    it(`${3 + i}_dot_only_name_${name.replace(/\//g, "_")}_refused`, async () => {
      await mkdir(join(dir, "src", "sub"), { recursive: true });
      await writeFile(join(dir, "src", name), "x");
      await expect(expandTemplateDir({ srcDir: join(dir, "src"), destDir: join(dir, "out") })).rejects.toBeInstanceOf(TemplateNameError);
    }),
  );

  it("7_names_with_dots_and_letters_pass", async () => {
    await mkdir(join(dir, "src"));
    await writeFile(join(dir, "src", ".env.tmpl"), "x");
    await writeFile(join(dir, "src", "a..b.tmpl"), "x");
    expect((await expandTemplateDir({ srcDir: join(dir, "src"), destDir: "/o" })).map((t) => t.dest)).toEqual(["/o/.env", "/o/a..b"]);
  });
});
