import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutputWriteError } from "../../src/render/run-errors.js";
import { isMountPoint, parseMode, parseMountPoints, writeOutputs } from "../../src/render/writer.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "portolan-writer-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NO_MOUNTS = new Set<string>();

describe("writeOutputs", () => {
  it("0_creates_parent_dirs_and_applies_default_mode", async () => {
    const dest = join(dir, "a/b/c.conf");
    const [r] = await writeOutputs([{ dest, content: "x=1\n", usesSecret: false }], { mountPoints: NO_MOUNTS });
    expect(r).toEqual({ dest, status: "rendered", method: "rename", mode: 0o644 });
    expect(await readFile(dest, "utf8")).toBe("x=1\n");
    expect((await stat(dest)).mode & 0o7777).toBe(0o644);
  });

  it("1_secret_output_defaults_to_0600_explicit_mode_wins", async () => {
    const s = join(dir, "secret.env");
    const e = join(dir, "explicit.sh");
    await writeOutputs(
      [
        { dest: s, content: "pw", usesSecret: true },
        { dest: e, content: "#!/bin/sh", usesSecret: true, mode: 0o750 },
      ],
      { mountPoints: NO_MOUNTS },
    );
    expect((await stat(s)).mode & 0o7777).toBe(0o600);
    expect((await stat(e)).mode & 0o7777).toBe(0o750);
  });

  it("2_unchanged_content_is_not_written", async () => {
    const dest = join(dir, "same.txt");
    await writeOutputs([{ dest, content: "same", usesSecret: false }], { mountPoints: NO_MOUNTS });
    const before = await stat(dest);
    await new Promise((r) => setTimeout(r, 20));
    const [r] = await writeOutputs([{ dest, content: "same", usesSecret: false }], { mountPoints: NO_MOUNTS });
    const after = await stat(dest);
    expect(r?.status).toBe("unchanged");
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it("3_changed_content_replaced_atomically_new_inode_no_temp_left", async () => {
    const dest = join(dir, "c.json");
    await writeFile(dest, "old");
    const before = await stat(dest);
    const [r] = await writeOutputs([{ dest, content: "new", usesSecret: false }], { mountPoints: NO_MOUNTS });
    expect(r?.method).toBe("rename");
    expect((await stat(dest)).ino).not.toBe(before.ino);
    expect(await readFile(dest, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["c.json"]);
  });

  it("4_mount_point_written_in_place_same_inode", async () => {
    const dest = join(dir, "mounted.conf");
    await writeFile(dest, "old");
    const before = await stat(dest);
    const [r] = await writeOutputs([{ dest, content: "new content", usesSecret: false }], { mountPoints: new Set([dest]) });
    expect(r?.method).toBe("in-place");
    expect((await stat(dest)).ino).toBe(before.ino);
    expect(await readFile(dest, "utf8")).toBe("new content");
  });

  it("5_same_content_other_mode_is_chmod_only", async () => {
    const dest = join(dir, "m.txt");
    await writeFile(dest, "m", { mode: 0o666 });
    const before = await stat(dest);
    const [r] = await writeOutputs([{ dest, content: "m", usesSecret: false, mode: 0o640 }], { mountPoints: NO_MOUNTS });
    expect(r).toMatchObject({ status: "rendered", method: "chmod", mode: 0o640 });
    const after = await stat(dest);
    expect(after.ino).toBe(before.ino);
    expect(after.mode & 0o7777).toBe(0o640);
  });

  it("6_dry_run_writes_nothing", async () => {
    const dest = join(dir, "sub/never.txt");
    const [r] = await writeOutputs([{ dest, content: "x", usesSecret: false }], { dryRun: true, mountPoints: NO_MOUNTS });
    expect(r).toMatchObject({ status: "would-render", method: "rename" });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("writeOutputs: all or nothing", () => {
  it("0_a_failing_output_leaves_the_others_unwritten_and_no_temp_file", async () => {
    const a = join(dir, "a.conf");
    await writeFile(a, "old");
    await writeFile(join(dir, "plain"), "");
    const bad = join(dir, "plain", "b.conf"); // its directory is a file: ENOTDIR
    const err = await writeOutputs(
      [
        { dest: a, content: "new", usesSecret: false },
        { dest: bad, content: "b", usesSecret: false },
      ],
      { mountPoints: NO_MOUNTS },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputWriteError);
    expect((err as OutputWriteError).path).toBe(bad);
    expect(await readFile(a, "utf8")).toBe("old");
    expect((await readdir(dir)).sort()).toEqual(["a.conf", "plain"]);
  });
});

describe("writeOutputs: a huge existing destination", () => {
  it("0_a_3_GiB_sparse_file_at_DEST_is_replaced_unread", async () => {
    const dest = join(dir, "huge.log");
    await writeFile(dest, "");
    await truncate(dest, 3 * 1024 ** 3);
    const [r] = await writeOutputs([{ dest, content: "x", usesSecret: false }], { mountPoints: NO_MOUNTS });
    expect(r?.status).toBe("rendered");
    expect(await readFile(dest, "utf8")).toBe("x");
  });
});

describe("writeOutputs: long names", () => {
  const names = ["n".repeat(255), "é".repeat(127), "😀".repeat(63)];
  names.forEach((name, i) =>
    it(`${i}_a_destination_name_of_${Buffer.byteLength(name)}_bytes_is_written`, async () => {
      const dest = join(dir, name);
      const [r] = await writeOutputs([{ dest, content: "x", usesSecret: false }], { mountPoints: NO_MOUNTS });
      expect(r?.status).toBe("rendered");
      expect(await readFile(dest, "utf8")).toBe("x");
      expect(await readdir(dir)).toEqual([name]);
    }),
  );
});

describe("helpers", () => {
  const modes: Array<[string, number | undefined]> = [["0600", 0o600], ["600", 0o600], ["0o755", 0o755], ["4755", 0o4755], ["0800", undefined], ["rw", undefined], ["77", undefined]];
  modes.forEach(([text, want], i) => it(`${i}_parseMode_${text}`, () => expect(parseMode(text)).toBe(want)));

  it(`${modes.length}_parseMountPoints`, () => {
    const info = [
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
      "600 22 8:1 /srv/conf/app.json /app/config\\040dir/app.json rw,relatime - ext4 /dev/sda1 rw",
      "",
    ].join("\n");
    expect(parseMountPoints(info)).toEqual(new Set(["/", "/app/config dir/app.json"]));
  });

  it(`${modes.length + 1}_isMountPoint_plain_file_false_root_true`, async () => {
    const f = join(dir, "plain");
    await writeFile(f, "");
    expect(await isMountPoint(f, NO_MOUNTS)).toBe(false);
    expect(await isMountPoint("/proc", parseMountPoints(await readFile("/proc/self/mountinfo", "utf8")))).toBe(true);
  });
});
