// The fleet bench's verdict: engines' expected entries against what the backend holds.
import { describe, expect, it } from "vitest";
import { diff, type View } from "../../bench/fleet/backend-view.js";

const v = (entries: Array<[string, string]>): View => new Map(entries);

const cases: Array<{ case: string; expected: View; actual: View; want: [number, number, number] }> = [
  { case: "equal", expected: v([["host-0:c0:8080", "passing"]]), actual: v([["host-0:c0:8080", "passing"]]), want: [0, 0, 0] },
  { case: "lost", expected: v([["host-0:c0:8080", "passing"], ["host-0:c1:8080", "passing"]]), actual: v([["host-0:c0:8080", "passing"]]), want: [1, 0, 0] },
  { case: "dangling", expected: v([]), actual: v([["host-1:c9:8080", "critical"]]), want: [0, 1, 0] },
  { case: "wrong health", expected: v([["host-0:c0:8080", "critical"]]), actual: v([["host-0:c0:8080", "passing"]]), want: [0, 0, 1] },
  { case: "all three", expected: v([["a", "passing"], ["b", "passing"]]), actual: v([["b", "critical"], ["c", "passing"]]), want: [1, 1, 1] },
];

describe("fleet diff", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      const d = diff(c.expected, c.actual);
      expect([d.lost, d.dangling, d.health]).toEqual(c.want);
      expect(d.examples).toHaveLength(c.want.reduce((s, x) => s + x, 0));
    });
  });
});
