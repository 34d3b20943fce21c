import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { AuthFailures } from "../../src/core/auth-failures.js";
import { BackendAuthError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";

const denied = (permission?: string) =>
  new BackendAuthError({ backend: "consul", message: permission ? `lacks permission '${permission}'` : "ACL not found", ...(permission && { permission }) });

type Step = ["fail", string, string | undefined] | ["ok", string];

function run(steps: Step[]): { lines: Array<{ level: number; operation?: string; msg: string }>; auth: AuthFailures } {
  let out = "";
  const sink = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
  const auth = new AuthFailures(createLogger({ format: "json", level: "debug", destination: sink }));
  for (const s of steps) {
    if (s[0] === "fail") auth.failed(s[1], denied(s[2]));
    else auth.succeeded(s[1]);
  }
  const lines = out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: number; operation?: string; msg: string });
  return { lines, auth };
}

describe("AuthFailures", () => {
  const cases: Array<{ name: string; steps: Step[]; errors: number; recovered: boolean; count: number; failing: boolean }> = [
    { name: "repeated_refusal_of_one_operation_logs_once", steps: [["fail", "register", "service:write"], ["fail", "register", "service:write"], ["fail", "register", "service:write"]], errors: 1, recovered: false, count: 3, failing: true },
    { name: "each_refused_operation_logs_once", steps: [["fail", "register", "service:write"], ["fail", "update check", "service:write"], ["fail", "register", "service:write"]], errors: 2, recovered: false, count: 3, failing: true },
    { name: "unknown_token_logs_once_for_every_operation", steps: [["fail", "register", undefined], ["fail", "list services", undefined], ["fail", "catalog services", undefined]], errors: 1, recovered: false, count: 3, failing: true },
    { name: "success_of_another_operation_does_not_end_a_permission_refusal", steps: [["fail", "register", "service:write"], ["ok", "list services"], ["fail", "register", "service:write"]], errors: 1, recovered: false, count: 2, failing: true },
    { name: "fixed_credentials_log_once_then_a_new_refusal_is_loud_again", steps: [["fail", "register", undefined], ["ok", "register"], ["ok", "register"], ["fail", "register", undefined]], errors: 2, recovered: true, count: 2, failing: true },
    { name: "recovery_waits_for_every_refused_operation", steps: [["fail", "register", "service:write"], ["fail", "deregister", "service:write"], ["ok", "register"]], errors: 2, recovered: false, count: 2, failing: true },
    { name: "successes_alone_log_nothing", steps: [["ok", "register"], ["ok", "list services"]], errors: 0, recovered: false, count: 0, failing: false },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, () => {
      const { lines, auth } = run(c.steps);
      expect(lines.filter((l) => l.level === 50)).toHaveLength(c.errors);
      expect(lines.some((l) => l.msg === "credentials accepted again")).toBe(c.recovered);
      expect(auth.count).toBe(c.count);
      expect(auth.failing).toBe(c.failing);
    });
  }
});
