// Node built-ins loaded at their first use, for code every registrator loads but few of them run: node:https
// (it loads node:tls) for a TLS Docker host or backend, node:crypto for a ZooKeeper digest credential. A process
// talking plain HTTP to Docker and its backend, as most registrators do, never loads them (RSS: docs/benchmarks.md).
import { createRequire } from "node:module";
import type * as Crypto from "node:crypto";
import type * as Https from "node:https";

// A built-in resolves the same from anywhere: "/" also works inside the CommonJS bundles, where import.meta.url is empty.
const requireBuiltin = createRequire("/");

/** The node:https module; loaded by the first call. */
export function https(): typeof Https {
  return requireBuiltin("node:https") as typeof Https;
}

/** The node:crypto module; loaded by the first call. */
export function crypto(): typeof Crypto {
  return requireBuiltin("node:crypto") as typeof Crypto;
}
