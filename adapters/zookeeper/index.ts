// Public surface of the ZooKeeper adapter (see DESIGN.md "ZooKeeper formats" and README.md here).
import type { Registry } from "../../src/core/registry.js";
import type { ZooKeeperOptions } from "./options.js";
import { ZooKeeperRegistry } from "./registry.js";

export type { ZooKeeperFormat, ZooKeeperOptions, ZooKeeperPayload } from "./options.js";
export { DEFAULT_CURATOR_BASE, DEFAULT_NERVE_BASE, DEFAULT_OPERATION_TIMEOUT_MS, DEFAULT_SESSION_TIMEOUT_MS } from "./options.js";
export { parseZooKeeperUri } from "./uri.js";
export { ZnodeNameError } from "./errors.js";
export { META_DUPLICATES, META_EPHEMERAL_OWNER } from "./owned.js";
export { ZooKeeperRegistry };

export function createZooKeeperRegistry(opts: ZooKeeperOptions): Registry {
  return new ZooKeeperRegistry(opts);
}
