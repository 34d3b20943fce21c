// The helpers bench/registrator.ts reads its comparison with gliderlabs/registrator through.
import { describe, expect, it } from "vitest";
import { cpuMs, cpuMsOfStat, percentile, ratio } from "../../bench/gliderlabs.js";

describe("bench helpers", () => {
  it("cpuMsOfStat: utime + stime in ms, whatever the command name holds", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const line = "4242 (node ) x (y) S 1 4242 4242 0 -1 4194560 9000 0 12 0 250 37 0 0 20 0 11 0 123 456\n";
    expect(cpuMsOfStat(line)).toBe(2870);
    expect(cpuMs(process.pid)).toBeGreaterThan(0);
  });

  it("percentile: nearest rank over the sorted samples; NaN for none", () => {
    const xs = [9, 1, 5, 3, 7, 2, 8, 4, 6, 10];
    expect(percentile(xs, 50)).toBe(6);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
  });

  it("ratio: portolan / reference to 2 decimals; n/a when either is missing or the reference is 0", () => {
    expect(ratio(6.7, 5.2)).toBe("1.29");
    expect(ratio(NaN, 5)).toBe("n/a");
    expect(ratio(3, 0)).toBe("n/a");
  });
});
