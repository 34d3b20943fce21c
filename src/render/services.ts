// The `services` part of a template view: every PASSING instance of a service, from a registry snapshot.
// `{{#services.mongodb}}{{address}}:{{port}}{{^last}},{{/last}}{{/services.mongodb}}`
import { joinHostPort } from "../core/host-port.js";
import { isPassing, type CatalogSnapshot, type Instance } from "../core/model.js";
import { LOOKUP, type LazyLookup } from "./template.js";

/**
 * One instance as templates see it. `hostPort` is `host:port` (`[v6]:port` for IPv6 addresses); for an instance
 * registered without a port, `port` is null (a `{{#port}}` section is skipped) and `hostPort` the address alone.
 */
export interface ServiceLocation {
  id: string;
  name: string;
  address: string;
  port: number | null;
  hostPort: string;
  protocol: "tcp" | "udp";
  tags: string[];
  meta: Record<string, string>;
}

function toLocation(i: Instance): ServiceLocation {
  return {
    id: i.id,
    name: i.name,
    address: i.address,
    port: i.port,
    hostPort: joinHostPort(i.address, i.port),
    protocol: i.protocol,
    tags: [...i.tags],
    meta: { ...i.meta },
  };
}

function compareLocations(a: ServiceLocation, b: ServiceLocation): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  if (a.port !== b.port) return (a.port ?? 0) - (b.port ?? 0);
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Passing instances grouped by service name, each list sorted by address, port, id (deterministic output).
 * A name with no passing instance gives an empty list: the section renders nothing (the watch re-renders later).
 */
export class ServiceDirectory implements LazyLookup {
  private readonly byName = new Map<string, ServiceLocation[]>();

  constructor(snapshot: CatalogSnapshot) {
    for (const i of snapshot.instances) {
      if (!isPassing(i)) continue;
      const list = this.byName.get(i.name) ?? [];
      list.push(toLocation(i));
      this.byName.set(i.name, list);
    }
    for (const list of this.byName.values()) list.sort(compareLocations);
  }

  [LOOKUP](name: string): ServiceLocation[] {
    return this.byName.get(name) ?? [];
  }

  /** A stable fingerprint of the given services' locations: equal fingerprints render equal templates. */
  fingerprint(names: Iterable<string>): string {
    const sorted = [...new Set(names)].sort();
    return JSON.stringify(sorted.map((n) => [n, this[LOOKUP](n)]));
  }
}

/** The service names a template used, from its `used` list (`services.mongodb` -> `mongodb`). */
export function usedServiceNames(used: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const u of used) {
    const m = /^services\.([^.]+)/.exec(u);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}
