// Build step after tsc: the catalog's live page. esbuild bundles src/catalog/page/app.ts (plain TypeScript + DOM,
// no framework, nothing fetched at run time) into dist/src/catalog/page/app.js, next to a copy of index.html;
// src/catalog/page.ts serves both. Offline: everything comes from node_modules.
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath, URL } from "node:url";
import { build } from "esbuild";

const src = fileURLToPath(new URL("../src/catalog/page/", import.meta.url));
const out = fileURLToPath(new URL("../dist/src/catalog/page/", import.meta.url));
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${src}app.ts`],
  outfile: `${out}app.js`,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["chrome100", "firefox100", "safari15"],
  minify: true,
  logLevel: "warning",
});
copyFileSync(`${src}index.html`, `${out}index.html`);
