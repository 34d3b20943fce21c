"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: no ES-module loader at start */
/* global process, __dirname, require, module */
// First instruction: catch every signal portolan handles (src/core/signals.ts FORWARDED_SIGNALS, same list) and
// hold it until the handlers of the bundle or of main.js take over (installSignals() replays them), so no Node
// default ever runs: SIGUSR1 would open the inspector on 127.0.0.1:9229, SIGHUP/SIGUSR2/SIGALRM would end the
// process.
const SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGALRM", "SIGTSTP", "SIGTTIN", "SIGTTOU"];
const held = { signals: SIGNALS, early: [], hold: (sig) => held.early.push(sig) };
if (require.main === module) for (const sig of SIGNALS) process.on(sig, held.hold);
// Copied to dist/src/cli/portolan.cjs by scripts/bundle-render.mjs: the entry that bin/portolan and the example
// image run. For `render` and `exec`, it compiles the one-file bundle start.cjs with the V8 code cache written
// next to it at build time (start.cjs.v8cache): no parsing or lazy compiling at container start. V8 rejects a
// cache made by another V8 version, with other V8 flags or for other source; the bundle then compiles from
// source as usual (same behaviour, a few ms slower). Node >= 22.1 also gets its own compile cache for the
// ES modules loaded later (commander path, pino, yaml). Every other command runs main.js (below).
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { Script } = require("node:vm");

const BUNDLE = join(__dirname, "start.cjs");
const CACHE = `${BUNDLE}.v8cache`;

/** Compiles and runs the bundle (`cachePath` null: without cache); `cacheRejected` is undefined without a cache. */
function loadBundle(cachePath = CACHE) {
  let cachedData;
  try {
    if (cachePath !== null) cachedData = readFileSync(cachePath);
  } catch {
    // no cache: compile from source
  }
  const source = `(function (exports, require, module, __filename, __dirname, __import) {\n${readFileSync(BUNDLE, "utf8")}\n})`;
  const script = new Script(source, { filename: BUNDLE, lineOffset: -1, cachedData }); // line numbers as in the file
  const mod = { exports: {} };
  // The bundle's import() calls (yaml, pino, registry clients, main.js) go through __import: a vm.Script has
  // no dynamic-import hook of its own, this module does, and resolves from the same directory.
  script.runInThisContext()(mod.exports, require, mod, BUNDLE, __dirname, (specifier) => import(specifier));
  return { script, exports: mod.exports, cacheRejected: cachedData === undefined ? undefined : script.cachedDataRejected };
}

module.exports = { loadBundle, BUNDLE, CACHE, SIGNALS };

if (require.main === module) {
  require("node:module").enableCompileCache?.();
  const command = process.argv[2];
  if (command === "render" || command === "exec") loadBundle().exports.start(process.argv, held);
  // The registrator daemon: its own CommonJS bundle, no ES-module loader, no commander (registrator-start.ts).
  // Plain require: no code cache, which is only valid for no V8 flags (bin/portolan gives it some).
  else if (command === "registrator") require("./registrator.cjs").start(process.argv, held);
  else {
    // Every other command (the servers are daemons: what they load, they keep) runs main.js
    // without the render/exec bundle and its code cache (~1 MiB of RSS for code they never run). main.js's
    // installSignals() takes the held signals over from this global (an ES module gets no arguments).
    globalThis[Symbol.for("portolan.heldSignals")] = held;
    import("./main.js").catch((err) => {
      process.stderr.write(`portolan: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70; // EXIT_SOFTWARE (src/core/exit-codes.ts)
    });
  }
}
