import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatBytes, InputTooLargeError, readTextLimited } from "../../src/render/limits.js";

const dir = mkdtempSync(join(tmpdir(), "portolan-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readTextLimited", () => {
  it("0_reads_a_file_within_the_limit", () => {
    writeFileSync(join(dir, "a"), "héllo\n");
    expect(readTextLimited(join(dir, "a"), 7)).toBe("héllo\n");
  });
  it("1_refuses_a_file_over_the_limit_unread", () => {
    const f = join(dir, "big");
    writeFileSync(f, "");
    truncateSync(f, 50 * 1024 * 1024);
    let caught: unknown;
    try {
      readTextLimited(f, 1024 * 1024);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputTooLargeError);
    expect(caught).toMatchObject({ path: f, size: 50 * 1024 * 1024, limit: 1024 * 1024, code: "EFBIG" });
    expect((caught as Error).message).toContain("1 MiB");
  });
  it("2_a_file_without_a_size_is_read_up_to_the_limit", () => {
    expect(readTextLimited("/proc/self/status", 1024 * 1024)).toContain("Name:");
    expect(() => readTextLimited("/proc/self/status", 10)).toThrow(InputTooLargeError);
  });
  it("3_errno_errors_keep_their_code", () => {
    expect(() => readTextLimited(join(dir, "missing"), 10)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => readTextLimited(dir, 10)).toThrow(expect.objectContaining({ code: "EISDIR" }));
  });
  const sizes: Array<[number, string]> = [[1024 * 1024, "1 MiB"], [16 * 1024 * 1024, "16 MiB"], [4096, "4 KiB"], [1000, "1000 bytes"]];
  sizes.forEach(([n, want], i) => it(`${4 + i}_formatBytes_${want}`, () => expect(formatBytes(n)).toBe(want)));
});
