// Build step after tsc, for the container-start path of `portolan render` and `portolan exec`. Loading ~25 small
// ES modules costs more than the work itself on every container start (resolve + read + compile each); one file
// does not. It writes:
// - dist/src/cli/start.cjs: src/cli/start.ts and everything it imports, as ONE CommonJS file (no ES-module
//   loader at start: Node's ESM facade of a builtin like node:fs alone loads all of node:stream);
// - dist/src/cli/portolan.cjs (from scripts/portolan.cjs): the entry that compiles start.cjs with a V8 code cache;
// - dist/src/cli/start.cjs.v8cache: that cache (by dist/src/cli/code-cache.cjs, from scripts/), valid for the
//   node binary and V8 flags of the build: bin/portolan and the image run `node portolan.cjs` with no flags; any
//   other node or flags reject it and compile from source (an image with another node reruns code-cache.cjs);
// - dist/src/cli/render-fast.js: the same code as an ES-module bundle, for `node dist/src/cli/main.js`;
// - dist/src/cli/registrator.cjs: `portolan registrator` (src/cli/registrator-start.ts) as one CommonJS file.
// Left outside the bundles, loaded only when used: pino (../core/log.js), yaml, registry clients, main.js.
/* global process */
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";
import { build } from "esbuild";

const cli = fileURLToPath(new URL("../dist/src/cli/", import.meta.url));
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  // Whitespace and syntax only: identifiers stay readable in stack traces. Smaller source = less to parse.
  minifyWhitespace: true,
  minifySyntax: true,
  // Class names kept as written: src/cli/exit.ts maps an error to its exit code by its classes' names.
  keepNames: true,
  logLevel: "warning",
};

// 1. CommonJS bundle (before render-fast.js is overwritten below: it is bundled from tsc's output).
// core/errors.js is inside (CommonJS cannot require an ES module on Node 20), and so are registry-uri.js and
// the zk URI parser, which throw its RegistryUriError: one class for every `instanceof` in this file.
const startCjs = join(cli, "start.cjs");
await build({
  ...common,
  entryPoints: [join(cli, "start.js")],
  outfile: startCjs,
  format: "cjs",
  external: ["./main.js", "../core/log.js", "yaml", "../../adapters/*/index.js"],
});
// A vm.Script (what the code cache needs) has no import() hook: portolan.cjs passes one in as __import.
const DYNAMIC = /\bimport\(("[^"]+")\)/g;
const bundled = readFileSync(startCjs, "utf8").replace(DYNAMIC, "__import($1)");
if (/\bimport\(/.test(bundled)) throw new Error(`${startCjs}: an import() with a computed specifier cannot be routed through __import`);
writeFileSync(startCjs, bundled);
copyFileSync(fileURLToPath(new URL("portolan.cjs", import.meta.url)), join(cli, "portolan.cjs"));

// 2. The code cache for this node binary (scripts/code-cache.cjs, also run by images with another node).
// Plain `node`, no NODE_OPTIONS: the cache carries a hash of the V8 flags and must match `node portolan.cjs`.
copyFileSync(fileURLToPath(new URL("code-cache.cjs", import.meta.url)), join(cli, "code-cache.cjs"));
const env = { ...process.env };
delete env.NODE_OPTIONS;
const r = spawnSync(process.execPath, [join(cli, "code-cache.cjs")], { env, encoding: "utf8" });
if (r.status !== 0) throw new Error(`code-cache.cjs failed (${r.status}): ${r.stderr}`);

// 3. The registrator's CommonJS bundle (src/cli/registrator-start.ts): the daemon never loads Node's ES-module
// loader nor commander. Its adapters are inside (one copy of core's classes); npm packages stay outside (pino,
// zod/v3 and a backend's client, required from node_modules), but pino, whose lines src/core/small-pino.ts writes
// instead; main.js (help, refusals) is imported when needed.
// import.meta.url (core/log.ts finds pino-pretty with it) is the bundle's own URL.
await build({
  ...common,
  entryPoints: [join(cli, "registrator-start.js")],
  outfile: join(cli, "registrator.cjs"),
  format: "cjs",
  packages: "external",
  // pino's API as portolan uses it, in ~100 lines: pino and what it loads held ~5 MiB of the daemon's RSS.
  alias: { pino: join(cli, "../core/small-pino.js") },
  external: ["./main.js"],
  define: { "import.meta.url": "__bundleUrl" },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});

// 4. ES-module bundle for main.js (node dist/src/cli/main.js render|exec).
const file = join(cli, "render-fast.js");
await build({
  ...common,
  entryPoints: [file],
  outfile: file,
  allowOverwrite: true,
  format: "esm",
  // core/errors.js stays shared (one PortolanError class for main.ts, registry-uri.js and the bundle: instanceof works).
  external: ["./registry-uri.js", "../core/log.js", "../core/errors.js", "yaml"],
});
