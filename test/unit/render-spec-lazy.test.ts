// Start-up cost guard: `yaml` (~65 ms to import) is loaded only for YAML specs and for locating errors,
// never for a valid JSON spec on the `portolan exec` path.
import { describe, expect, it, vi } from "vitest";

const state = vi.hoisted(() => ({ yamlImports: 0 }));
vi.mock("yaml", async (importOriginal) => {
  state.yamlImports++;
  return await importOriginal();
});

const { parseSpec } = await import("../../src/render/spec.js");
const { loadConfig } = await import("../../src/render/config.js");

describe("lazy yaml import", () => {
  it("0_valid JSON spec and loadConfig do not import yaml", async () => {
    const spec = await parseSpec('{"variables":{"A":{"type":"int","default":"1"}}}', "spec.json");
    await loadConfig({ envFiles: [], format: "systemd", processEnv: {}, spec });
    expect(state.yamlImports).toBe(0);
  });
  it("1_a YAML spec imports it", async () => {
    await parseSpec("variables:\n  A: int\n", "spec.yaml");
    expect(state.yamlImports).toBe(1);
  });
});
