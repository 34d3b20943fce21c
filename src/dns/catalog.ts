// The catalog as DNS sees it (pure): answerable instances by lower-case service name and service names by
// address, built once per snapshot so each answer is a couple of map lookups.
import { isIP } from "node:net";
import type { CatalogSnapshot, Instance } from "../core/model.js";
import { canonicalAddress, isHostName } from "./names.js";

export interface DnsInstance {
  id: string;
  /** Canonical IP text, or a host name when the backend holds one. */
  address: string;
  family: 0 | 4 | 6;
  /** Null for an instance registered without a port: it has A/AAAA answers but no SRV record. */
  port: number | null;
  /** Lower-case tags. */
  tags: string[];
}

export interface DnsCatalog {
  version: number;
  /** Answerable instances per lower-case service name, sorted by id; services with none are absent. */
  services: Map<string, DnsInstance[]>;
  /** Lower-case service names per canonical address (PTR), sorted. */
  byAddress: Map<string, string[]>;
}

export interface CatalogOptions {
  /** Answer warning instances too (Consul's `only_passing = false`). */
  includeWarning: boolean;
}

export function answerable(i: Instance, opts: CatalogOptions): boolean {
  return i.health === "passing" || (opts.includeWarning && i.health === "warning");
}

export function indexCatalog(snapshot: CatalogSnapshot, opts: CatalogOptions): DnsCatalog {
  const services = new Map<string, DnsInstance[]>();
  const names = new Map<string, Set<string>>();
  for (const i of snapshot.instances) {
    if (!answerable(i, opts)) continue;
    const name = i.name.toLowerCase();
    const given = canonicalAddress(i.address.toLowerCase());
    const family = isIP(given) as 0 | 4 | 6;
    // Names are kept without the root's dot (as every name here).
    const address = family === 0 ? given.replace(/\.$/, "") : given;
    // A backend's address that is neither an IP nor a host name (any registrant can write one in Consul) is left
    // out: written as an SRV target it would break the answer for the service's other instances too.
    if (family === 0 && !isHostName(address)) continue;
    let list = services.get(name);
    if (!list) services.set(name, (list = []));
    list.push({ id: i.id, address, family, port: i.port, tags: i.tags.map((t) => t.toLowerCase()) });
    if (family !== 0) {
      let set = names.get(address);
      if (!set) names.set(address, (set = new Set()));
      set.add(name);
    }
  }
  for (const list of services.values()) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byAddress = new Map([...names].map(([a, s]) => [a, [...s].sort()]));
  return { version: snapshot.version, services, byAddress };
}
