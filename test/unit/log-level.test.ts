import { describe, expect, it } from "vitest";
import { exitCodeOf } from "../../src/cli/exit.js";
import { LogLevelError, resolveLogLevel } from "../../src/core/log-level.js";

describe("resolveLogLevel", () => {
  const ok: Array<[string, string | undefined, Record<string, string>, string]> = [
    ["default_info", undefined, {}, "info"],
    ["env", undefined, { PORTOLAN_LOG_LEVEL: "debug" }, "debug"],
    ["empty_env_is_unset", undefined, { PORTOLAN_LOG_LEVEL: "" }, "info"],
    ["flag_beats_env", "warn", { PORTOLAN_LOG_LEVEL: "debug" }, "warn"],
    ["flag_beats_bad_env", "warn", { PORTOLAN_LOG_LEVEL: "loud" }, "warn"],
  ];
  ok.forEach(([name, flag, env, want], i) => it(`${i}_${name}`, () => expect(resolveLogLevel(flag, env)).toBe(want)));
  const bad: Array<[string, string | undefined, Record<string, string>, string]> = [
    ["bad_flag", "bogus", {}, "--log-level"],
    ["bad_env", undefined, { PORTOLAN_LOG_LEVEL: "loud" }, "PORTOLAN_LOG_LEVEL"],
    ["case_matters", "INFO", {}, "--log-level"],
  ];
  bad.forEach(([name, flag, env, setting], i) =>
    it(`${ok.length + i}_${name}`, () => {
      const err = (() => {
        try {
          resolveLogLevel(flag, env);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(LogLevelError);
      expect((err as LogLevelError).setting).toBe(setting);
      expect(exitCodeOf(err)).toBe(64);
    }),
  );
});
