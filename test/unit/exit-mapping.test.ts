import { describe, expect, it } from "vitest";
import { exitCodeOf } from "../../src/cli/exit.js";
import { BackendAuthError, BackendUnavailableError, ListenError, RegistryUriError, UsageError } from "../../src/core/errors.js";
import { EXIT_CONFIG, EXIT_NOINPUT, EXIT_UNAVAILABLE, EXIT_USAGE } from "../../src/core/exit-codes.js";
import { LogLevelError } from "../../src/core/log-level.js";
import { UnknownServiceError } from "../../src/catalog/errors.js";
import { SpecialModeError } from "../../src/render/run-errors.js";

describe("one mapping from failure to exit code", () => {
  it("0_a_subclass_takes_its_parents_code", () => {
    expect(exitCodeOf(new ListenError({ flag: "--listen", address: "127.0.0.1:53", cause: Object.assign(new Error("x"), { code: "EADDRINUSE" }) }))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new RegistryUriError({ uri: "x://", message: "no backend" }))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new LogLevelError("--log-level", "loud"))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new SpecialModeError({ flag: "--template", text: "a:b:4755", mode: 0o4755 }))).toBe(EXIT_USAGE);
  });

  it("1_the_same_failure_has_one_code_in_every_command", () => {
    expect(exitCodeOf(new BackendAuthError({ backend: "consul", message: "ACL not found" }))).toBe(EXIT_CONFIG);
    expect(exitCodeOf(new BackendUnavailableError({ backend: "consul", message: "refused" }))).toBe(EXIT_UNAVAILABLE);
    expect(exitCodeOf(new UnknownServiceError("web"))).toBe(EXIT_NOINPUT);
  });

  it("2_a_class_from_another_copy_of_the_module_maps_by_its_name", () => {
    // The render bundle's own copy of the classes: same names, different constructors.
    const copy = { UsageError: class UsageError extends Error {} };
    class FlagProblem extends copy.UsageError {}
    expect(new FlagProblem("x") instanceof UsageError).toBe(false);
    expect(exitCodeOf(new FlagProblem("x"))).toBe(EXIT_USAGE);
  });

  it("3_an_unexpected_error_has_no_code", () => {
    expect(exitCodeOf(new TypeError("bug"))).toBeUndefined();
    expect(exitCodeOf(new Error("bug"))).toBeUndefined();
    expect(exitCodeOf("text")).toBeUndefined();
    expect(exitCodeOf(null)).toBeUndefined();
  });
});
