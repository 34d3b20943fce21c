// The Registry wrappers of one process (the catalog's timing, `up`'s shared watch) pass every argument through to
// the backend: a RegisterOptions dropped on the way costs each default-ID registration in `up` its owner read again.
import { describe, expect, it } from "vitest";
import { createMemoryRegistry } from "../../adapters/memory/index.js";
import { InstrumentedRegistry } from "../../src/catalog/instrument.js";
import { CatalogMetrics } from "../../src/catalog/metrics.js";
import type { Instance } from "../../src/core/model.js";
import type { RegisterOptions, Registry } from "../../src/core/registry.js";
import { shareWatch } from "../../src/core/shared-watch.js";

const inst: Instance = { id: "h:web:80", name: "web", address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h" };

const wrappers: Array<{ case: string; wrap: (r: Registry) => Registry }> = [
  { case: "instrumented", wrap: (r) => new InstrumentedRegistry(r, new CatalogMetrics("memory")) },
  { case: "shared watch", wrap: (r) => shareWatch(r) },
  { case: "shared watch, then instrumented (up)", wrap: (r) => new InstrumentedRegistry(shareWatch(r), new CatalogMetrics("memory")) },
];

describe("registry wrappers", () => {
  wrappers.forEach((c, i) => {
    it(`${i}_${c.case}: register's options reach the backend`, async () => {
      const backend = createMemoryRegistry();
      const seen: Array<RegisterOptions | undefined> = [];
      const register = backend.register.bind(backend);
      backend.register = (instance: Instance, opts?: RegisterOptions) => {
        seen.push(opts);
        return register(instance);
      };
      const wrapped = c.wrap(backend);
      await wrapped.register(inst, { defaultId: true });
      await wrapped.register({ ...inst, id: "custom" });
      expect(seen).toEqual([{ defaultId: true }, undefined]);
      expect((await wrapped.listOwned("h")).map((x) => x.id).sort()).toEqual(["custom", "h:web:80"]);
      await wrapped.close();
    });
  });
});
