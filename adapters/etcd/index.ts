// Public surface of the etcd adapter (DESIGN.md "etcd (CoreDNS layout)" and README.md here).
import type { Registry } from "../../src/core/registry.js";
import type { EtcdOptions } from "./options.js";
import { EtcdRegistry } from "./registry.js";

export type { EtcdOptions } from "./options.js";
export { DEFAULT_LEASE_TTL_S, DEFAULT_PREFIX, DEFAULT_TTL_S, DEFAULT_ZONE } from "./options.js";
export { parseEtcdUri, type EtcdUriOptions } from "./uri.js";
export { EtcdOptionsError, EtcdRequestError } from "./errors.js";
export { META_LEASE } from "./registry.js";
export { baseOf, idSegment, keyOf } from "./layout.js";
export { EtcdRegistry };

export function createEtcdRegistry(opts: EtcdOptions): Registry {
  return new EtcdRegistry(opts);
}
