// BackendAuthError across copies of src/core/errors: the render/exec bundle (dist/src/cli/start.cjs) inlines its own
// copy while the adapters it loads import the shared module, so `instanceof` must not depend on which copy threw.
import { describe, expect, it, vi } from "vitest";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import { ReadOnlyRegistryError } from "../../adapters/portolan/index.js";

describe("BackendAuthError instanceof", () => {
  it("0_an error of another copy of the module is a BackendAuthError", async () => {
    vi.resetModules();
    const other = await import("../../src/core/errors.js"); // a fresh evaluation: another copy of every class
    expect(other.BackendAuthError).not.toBe(BackendAuthError);
    const err = new other.BackendAuthError({ backend: "portolan", message: "HTTP 401" });
    expect(err).toBeInstanceOf(BackendAuthError);
    expect(new BackendAuthError({ backend: "consul", message: "x" })).toBeInstanceOf(other.BackendAuthError);
  });
  it("1_other errors are not", () => {
    expect(new BackendUnavailableError({ backend: "portolan", message: "refused" })).not.toBeInstanceOf(BackendAuthError);
    expect(new Error("BackendAuthError")).not.toBeInstanceOf(BackendAuthError);
    expect(Object.assign(new Error("x"), { name: "BackendAuthError" })).not.toBeInstanceOf(BackendAuthError);
    expect(null).not.toBeInstanceOf(BackendAuthError);
  });
  it("2_subclasses keep their own instanceof", () => {
    const ro = new ReadOnlyRegistryError("127.0.0.1:8700", "register");
    expect(ro).toBeInstanceOf(BackendAuthError);
    expect(ro).toBeInstanceOf(ReadOnlyRegistryError);
    expect(new BackendAuthError({ backend: "portolan", message: "x" })).not.toBeInstanceOf(ReadOnlyRegistryError);
  });
});
