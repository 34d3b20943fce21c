"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, like portolan.cjs next to it */
/* global process, require */
// Copied to dist/src/cli/code-cache.cjs. `node dist/src/cli/code-cache.cjs` writes start.cjs.v8cache, the V8 code
// cache portolan.cjs loads, for the node binary that runs it: `npm run build` runs it, and so does an image whose
// node differs from the build machine's (examples/entrypoint/Dockerfile). The cache comes from a warm-up
// `portolan exec` (env dir, spec, template, `-- true`, twice: files written, then unchanged), so it holds the
// functions a container start runs, not only the top level. Run it with plain `node`: V8 rejects a cache made
// under other V8 flags.
const { mkdtempSync, rmSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { loadBundle, CACHE } = require("./portolan.cjs");

const w = mkdtempSync(join(tmpdir(), "portolan-warmup-"));
const bundle = loadBundle(null); // compiled from source, whatever cache is there
writeFileSync(join(w, "cluster.env"), '# db\nHOST=db.example\nPORT=5432\nURL="http://db.example:5432/x"\n');
writeFileSync(join(w, "app.env"), "DEBUG=true\n");
const variables = { HOST: { type: "string" }, PORT: { type: "int" }, URL: { type: "url" }, DEBUG: { type: "bool", required: true } };
writeFileSync(join(w, "spec.json"), JSON.stringify({ variables }));
writeFileSync(join(w, "t.mustache"), '{ "h": "{{HOST}}", "p": {{PORT}}, "u": "{{URL}}"{{#DEBUG}}, "d": true{{/DEBUG}} }\n');
const argv = [process.execPath, "portolan", "exec", "--env-dir", w, "--name", "app", "--spec", join(w, "spec.json")];
argv.push("--template", `${join(w, "t.mustache")}:${join(w, "out.json")}`, "--", "true");

(async () => {
  try {
    for (let i = 0; i < 2; i++) {
      await bundle.exports.start(argv);
      if (process.exitCode) throw new Error(`warm-up exec exited ${process.exitCode}`);
    }
    writeFileSync(CACHE, bundle.script.createCachedData());
  } finally {
    rmSync(w, { recursive: true, force: true });
  }
})().catch((err) => {
  process.stderr.write(`code-cache: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
