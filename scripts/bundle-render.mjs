// Build step after tsc: replaces dist/src/cli/render-fast.js (the container-start path of `portolan render` and
// `portolan exec`) with a single-file bundle of it and everything it imports. Loading ~25 small ES modules costs
// more than the work itself on every container start (resolve + read + compile each); one file does not.
// Left outside the bundle, loaded only when used: registry clients (./registry-uri.js), pino (../core/log.js), yaml.
// Every external path is written the same in src/cli and src/render, and resolves the same from dist/src/cli.
import { fileURLToPath, URL } from "node:url";
import { build } from "esbuild";

const file = fileURLToPath(new URL("../dist/src/cli/render-fast.js", import.meta.url));
await build({
  entryPoints: [file],
  outfile: file,
  allowOverwrite: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // core/errors.js stays shared (one PortolanError class for main.ts, registry-uri.js and the bundle: instanceof works).
  external: ["./registry-uri.js", "../core/log.js", "../core/errors.js", "yaml"],
  // Whitespace and syntax only: identifiers stay readable in stack traces. Smaller source = less to parse.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
});
