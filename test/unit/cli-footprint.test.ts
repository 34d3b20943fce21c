// What each entry loads before it does anything: the packages on its static import graph (dynamic imports, loaded
// only when used, left out). A package there is loaded, and kept, by every run of the command: the registrator is a
// daemon on every host (its RSS is the fleet's), `render`/`exec` start every container. The graph is read by
// esbuild (the bundler of the build) from the sources, so the test needs no build.
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";

/** The npm packages (or, with `builtins`, the node: modules) reached from `entry` through static imports and require() calls only. */
async function staticPackages(entry: string, builtins = false): Promise<string[]> {
  const { metafile } = await build({ entryPoints: [entry], bundle: true, write: false, metafile: true, platform: "node", format: "esm", packages: "external", logLevel: "silent" });
  const inputs: Metafile["inputs"] = metafile.inputs;
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of inputs[file]?.imports ?? []) {
      if (imp.kind === "dynamic-import") continue;
      if (imp.external) {
        if (imp.path.startsWith("node:") === builtins) packages.add(imp.path);
      } else visit(imp.path);
    }
  };
  visit(Object.keys(inputs).find((f) => f.endsWith(entry))!);
  return [...packages].sort();
}

const cases: Array<{ case: string; entry: string; allowed: string[] }> = [
  // The daemon's entry (bin/portolan registrator): logs only; flags by node:util, commander only imported for --help
  // and refusals; no schema library (the model's checks are hand-written: 2-3 MiB of RSS); nothing of another
  // command or of a backend that was not asked for.
  { case: "registrator", entry: "src/cli/registrator-start.ts", allowed: ["pino"] },
  // The same command under commander (help, refusals, `node main.js registrator`).
  { case: "registrator under commander", entry: "src/cli/registrator.ts", allowed: ["commander", "pino"] },
  // The container-start path: flags by node:util, no logger, no schema library, no registry client.
  { case: "render/exec fast path", entry: "src/cli/start.ts", allowed: [] },
];

describe("packages an entry loads before it runs", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}`, async () => {
      expect(await staticPackages(c.entry)).toEqual(c.allowed);
    });
  });
});

describe("built-ins a registrator against plain-HTTP Docker and Consul loads", () => {
  // node:https (and node:tls) only for a TLS Docker host or backend, node:crypto only for a ZooKeeper digest
  // credential: src/core/lazy-builtins.ts loads them at their first use. The entry, the URI check (every
  // backend's), the Docker client and the Consul adapter (imported when the URI asks for it).
  const lazy = ["node:https", "node:tls", "node:crypto"];
  const entries: Array<[string, boolean]> = [
    ["src/cli/registrator-start.ts", false],
    ["src/cli/registry-uri.ts", false],
    ["src/docker/client.ts", true],
    ["adapters/consul/index.ts", true],
  ];
  entries.forEach(([entry, http], i) => {
    it(`${i}_${entry}`, async () => {
      const builtins = await staticPackages(entry, true);
      if (http) expect(builtins).toContain("node:http");
      for (const b of lazy) expect(builtins).not.toContain(b);
    });
  });
});
