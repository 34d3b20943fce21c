// Preloaded (NODE_OPTIONS=--import) by dns-workers-start.test.ts: a cluster worker (NODE_UNIQUE_ID is set in
// workers only) boots 3 s late, so a test can signal the primary while its workers are still starting.
import { env } from "node:process";

if (env.NODE_UNIQUE_ID) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
