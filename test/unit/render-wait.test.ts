import { describe, expect, it } from "vitest";
import { RenderUsageError, WaitTimeoutError } from "../../src/render/run-errors.js";
import { parseWaitTarget, waitForTargets, type WaitTarget } from "../../src/render/wait.js";

describe("parseWaitTarget", () => {
  const ok: Array<[string, Partial<WaitTarget>]> = [
    ["tcp://127.0.0.1:5432", { kind: "tcp", host: "127.0.0.1", port: 5432 }],
    ["tcp://[::1]:53", { kind: "tcp", host: "::1", port: 53 }],
    ["http://127.0.0.1:8080/health?x=1", { kind: "http", url: "http://127.0.0.1:8080/health?x=1" }],
    ["https://db.local/", { kind: "http", url: "https://db.local/" }],
    ["file:///run/ready%20flag", { kind: "file", path: "/run/ready flag" }],
  ];
  ok.forEach(([uri, want], i) => it(`${i}_${uri}`, () => expect(parseWaitTarget(uri)).toMatchObject({ uri, ...want })));
  const bad = ["127.0.0.1:5432", "tcp://host", "udp://1.2.3.4:53", "file:///", "ftp://x/"];
  bad.forEach((uri, i) => it(`${ok.length + i}_rejects_${uri}`, () => expect(() => parseWaitTarget(uri)).toThrow(RenderUsageError)));
});

describe("waitForTargets", () => {
  it("0_retries_until_up", async () => {
    let calls = 0;
    await waitForTargets([parseWaitTarget("tcp://127.0.0.1:1")], {
      timeoutMs: 5_000,
      probe: async () => {
        if (++calls < 3) throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
      },
    });
    expect(calls).toBe(3);
  });

  it("1_timeout_names_only_the_targets_still_down", async () => {
    const up = parseWaitTarget("tcp://127.0.0.1:2");
    const down = parseWaitTarget("http://127.0.0.1:3/");
    let caught: unknown;
    try {
      await waitForTargets([up, down], {
        timeoutMs: 300,
        probe: async (t) => {
          if (t === down) throw Object.assign(new Error("x"), { code: "ECONNREFUSED" });
        },
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WaitTimeoutError);
    expect((caught as WaitTimeoutError).targets).toEqual([{ target: "http://127.0.0.1:3/", lastError: "ECONNREFUSED" }]);
  });
});
