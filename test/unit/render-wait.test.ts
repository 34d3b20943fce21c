import { describe, expect, it } from "vitest";
import { RenderUsageError, WaitTimeoutError } from "../../src/render/run-errors.js";
import { parseWaitTarget, waitForTargets, type WaitTarget } from "../../src/render/wait.js";
import { FakeClock } from "../support/fake-clock.js";

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

describe("parseWaitTarget credentials", () => {
  it("0_url_credentials_become_basic_auth_and_are_never_shown", () => {
    const t = parseWaitTarget("http://app:p%40ss%2Fw0rd@127.0.0.1:8080/health");
    expect(t).toEqual({
      kind: "http",
      uri: "http://app:********@127.0.0.1:8080/health",
      url: "http://127.0.0.1:8080/health",
      authorization: `Basic ${Buffer.from("app:p@ss/w0rd").toString("base64")}`,
    });
  });
  it("1_user_only", () => {
    const t = parseWaitTarget("https://tok3n@db.local/");
    expect(t).toMatchObject({ uri: "https://********@db.local/", url: "https://db.local/", authorization: `Basic ${Buffer.from("tok3n:").toString("base64")}` });
  });
  it("2_errors_never_show_the_password", () => {
    for (const uri of ["tcp://u:pw12345@host", "ftp://u:pw12345@x/", "http://u:%E0%A4%A@x/"]) {
      let message = "";
      try {
        parseWaitTarget(uri);
      } catch (err) {
        expect(err).toBeInstanceOf(RenderUsageError);
        message = (err as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain("pw12345");
      expect(message).not.toContain("%E0");
    }
  });
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

  it("2_no_attempt_gets_a_budget_past_the_deadline", async () => {
    const budgets: Array<{ given: number; left: number }> = [];
    const start = Date.now();
    const err = await waitForTargets([parseWaitTarget("http://127.0.0.1:4/")], {
      timeoutMs: 400,
      probe: async (_t, timeoutMs) => {
        budgets.push({ given: timeoutMs, left: 400 - (Date.now() - start) });
        await new Promise((r) => setTimeout(r, 150));
        throw Object.assign(new Error("x"), { code: "ETIMEDOUT" });
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(budgets.length).toBeGreaterThan(1);
    for (const b of budgets) expect(b.given).toBeLessThanOrEqual(Math.max(1, b.left + 5));
  });
});

describe("waitForTargets names the last real reason (fake clock)", () => {
  const timeout = () => Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
  /** A target that answers after `answerMs` of fake time with `fail` (or is up), timing out when the budget is shorter. */
  const target = (clock: FakeClock, answerMs: number, fail: () => Error) => async (_t: WaitTarget, budget: number) => {
    await clock.sleep(Math.min(budget, answerMs));
    if (budget < answerMs) throw timeout();
    throw fail();
  };
  async function run(clock: FakeClock, timeoutMs: number, probe: (t: WaitTarget, budget: number) => Promise<void>): Promise<unknown> {
    let result: unknown = "pending";
    void waitForTargets([parseWaitTarget("http://127.0.0.1:9/404-path")], { timeoutMs, clock, probe }).then(
      () => (result = "up"),
      (err: unknown) => (result = err),
    );
    await clock.until("the wait ended", () => result !== "pending", timeoutMs + 10_000, 1);
    return result;
  }
  const http404 = () => new Error("HTTP 404");
  const refused = () => Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
  // Every deadline alignment: the final attempt may get any budget from 1 ms up.
  const timeouts = [2_000, 2_001, 2_002, 2_003, 1_999, 250, 777, 5_000];
  timeouts.forEach((timeoutMs, i) =>
    it(`${i}_a 404 answered in 3 ms stays "HTTP 404" with --wait-timeout ${timeoutMs}ms`, async () => {
      const clock = new FakeClock();
      const err = await run(clock, timeoutMs, target(clock, 3, http404));
      expect(err).toBeInstanceOf(WaitTimeoutError);
      expect((err as WaitTimeoutError).targets).toEqual([{ target: "http://127.0.0.1:9/404-path", lastError: "HTTP 404" }]);
    }),
  );
  it(`${timeouts.length}_a refused connection stays ECONNREFUSED`, async () => {
    const clock = new FakeClock();
    const err = (await run(clock, 2_000, target(clock, 2, refused))) as WaitTimeoutError;
    expect(err.targets[0]?.lastError).toBe("ECONNREFUSED");
  });
  it(`${timeouts.length + 1}_a target that never answers within a full probe budget is "timed out"`, async () => {
    const clock = new FakeClock();
    const err = (await run(clock, 6_000, target(clock, 10_000, http404))) as WaitTimeoutError;
    expect(err.targets[0]?.lastError).toBe("timed out");
  });
  it(`${timeouts.length + 2}_the first attempt cut short by a short --wait-timeout is "timed out"`, async () => {
    const clock = new FakeClock();
    const err = (await run(clock, 100, target(clock, 500, http404))) as WaitTimeoutError;
    expect(err.targets[0]?.lastError).toBe("timed out");
  });
  it(`${timeouts.length + 3}_the deadline is on the injected clock`, async () => {
    const clock = new FakeClock();
    const start = clock.now();
    await run(clock, 3_000, target(clock, 3, http404));
    expect(clock.now() - start).toBeGreaterThanOrEqual(3_000);
    expect(clock.now() - start).toBeLessThan(3_100);
  });
});
