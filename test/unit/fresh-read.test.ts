import { describe, expect, it } from "vitest";
import { FreshReads } from "../../src/core/fresh-read.js";

/** A fetch whose answers the test releases one at a time; each answer is the state when the read started. */
function fakeBackend() {
  let state = 0;
  const waiting: Array<() => void> = [];
  let reads = 0;
  return {
    write: () => ++state,
    get reads() {
      return reads;
    },
    fetch: () => {
      reads++;
      const seen = state;
      return new Promise<number>((resolve) => waiting.push(() => resolve(seen)));
    },
    releaseOne: async () => {
      waiting.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

describe("FreshReads", () => {
  it("0_callers that arrive during a read share the next one, which starts after all of them asked", async () => {
    const b = fakeBackend();
    const reads = new FreshReads<number>();
    const first = reads.read("dir", b.fetch);
    b.write(); // a write the first read may not see
    const later = Array.from({ length: 100 }, () => reads.read("dir", b.fetch));
    await b.releaseOne();
    expect(await first).toBe(0);
    await b.releaseOne();
    expect(new Set(await Promise.all(later))).toEqual(new Set([1]));
    expect(b.reads).toBe(2);
  });

  it("1_a failed read fails its callers only; the next caller reads again; keys do not share", async () => {
    const reads = new FreshReads<string>();
    await expect(reads.read("a", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await reads.read("a", () => Promise.resolve("up"))).toBe("up");
    const [x, y] = await Promise.all([reads.read("x", () => Promise.resolve("x")), reads.read("y", () => Promise.resolve("y"))]);
    expect([x, y]).toEqual(["x", "y"]);
  });

  it("2_a read queued behind a failed one still runs", async () => {
    const reads = new FreshReads<string>();
    let fail!: (e: Error) => void;
    const first = reads.read("a", () => new Promise<string>((_, reject) => (fail = reject)));
    const second = reads.read("a", () => Promise.resolve("fresh"));
    fail(new Error("cut"));
    await expect(first).rejects.toThrow("cut");
    expect(await second).toBe("fresh");
  });
});
