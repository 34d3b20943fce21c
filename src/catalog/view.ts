// The catalog's documented JSON shape, and the pure functions that build it from a snapshot.
// Shape (stable; docs/catalog.md "HTTP API" documents it):
//   InstanceView   = Instance (id, name, address, port, protocol, tags, meta, checks, health, owner, container?)
//                    + checkOutput?, registeredAt? (what the backend reports, where it has them)
//                    + since (registeredAt where the backend stores one, else when this catalog first saw the entry)
//   ServiceSummary = { name, instances, passing, warning, critical, tags (union, sorted), hosts (sorted) }
//   version        = changes to the catalog this process has seen (1 = its first read; see docs/catalog.md)
import { joinHostPort } from "../core/host-port.js";
import type { Health, Instance } from "../core/model.js";

export interface InstanceView extends Instance {
  /**
   * ISO 8601: the backend's registration time (registeredAt) where it stores one, else the time this catalog process
   * first saw the entry (a restart of the catalog resets that).
   */
  since: string;
}

export interface ServiceSummary {
  name: string;
  instances: number;
  passing: number;
  warning: number;
  critical: number;
  tags: string[];
  hosts: string[];
}

export interface InstanceFilter {
  service?: string;
  tag?: string;
  /** The owner (the registrator's --hostname). */
  host?: string;
  health?: Health;
}

export function matches(i: Instance, f: InstanceFilter): boolean {
  return (
    (f.service === undefined || i.name === f.service) &&
    (f.tag === undefined || i.tags.includes(f.tag)) &&
    (f.host === undefined || i.owner === f.host) &&
    (f.health === undefined || i.health === f.health)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Instances sorted by service name, then id: the order of every list the catalog prints or serves. */
export function sortInstances<T extends Instance>(list: T[]): T[] {
  return list.sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id));
}

/** One summary per service name, sorted by name. */
export function summarize(list: readonly Instance[]): ServiceSummary[] {
  const by = new Map<string, { s: ServiceSummary; tags: Set<string>; hosts: Set<string> }>();
  for (const i of list) {
    let e = by.get(i.name);
    if (!e) {
      e = { s: { name: i.name, instances: 0, passing: 0, warning: 0, critical: 0, tags: [], hosts: [] }, tags: new Set(), hosts: new Set() };
      by.set(i.name, e);
    }
    e.s.instances++;
    e.s[i.health]++;
    for (const t of i.tags) e.tags.add(t);
    e.hosts.add(i.owner);
  }
  return [...by.values()]
    .map(({ s, tags, hosts }) => ({ ...s, tags: [...tags].sort(), hosts: [...hosts].sort() }))
    .sort((a, b) => cmp(a.name, b.name));
}

export interface HostSummary {
  /** The owner (the registrator's --hostname). */
  host: string;
  instances: number;
  passing: number;
  warning: number;
  critical: number;
  /** Service names, sorted. */
  services: string[];
}

/** One summary per host (owner), sorted by host: "host X lost all its services" at a glance. */
export function hostsOf(list: readonly Instance[]): HostSummary[] {
  const by = new Map<string, { h: HostSummary; services: Set<string> }>();
  for (const i of list) {
    let e = by.get(i.owner);
    if (!e) by.set(i.owner, (e = { h: { host: i.owner, instances: 0, passing: 0, warning: 0, critical: 0, services: [] }, services: new Set() }));
    e.h.instances++;
    e.h[i.health]++;
    e.services.add(i.name);
  }
  return [...by.values()].map(({ h, services }) => ({ ...h, services: [...services].sort() })).sort((a, b) => cmp(a.host, b.host));
}

/** Services that have at least one instance matching `f` (counts cover only the matching instances). */
export function servicesMatching(list: readonly Instance[], f: InstanceFilter): ServiceSummary[] {
  return summarize(list.filter((i) => matches(i, f)));
}

/** What the catalog's documents are built from: its version, its instances (sorted) and their summaries. */
export interface CatalogView {
  readonly version: number;
  instances(): InstanceView[];
  services(): ServiceSummary[];
}

/** `GET /v1/services` and `portolan catalog --json`. */
export function servicesDocument(v: CatalogView, f: InstanceFilter): { version: number; services: ServiceSummary[] } {
  return { version: v.version, services: Object.keys(f).length === 0 ? v.services() : servicesMatching(v.instances(), f) };
}

/** `GET /v1/services/NAME` and `portolan catalog service NAME --json`; undefined when NAME has no instance. */
export function serviceDocument(v: CatalogView, name: string, f: InstanceFilter): { version: number; service: ServiceSummary; instances: InstanceView[] } | undefined {
  const all = v.instances().filter((i) => i.name === name);
  const [service] = summarize(all);
  return service && { version: v.version, service, instances: all.filter((i) => matches(i, f)) };
}

export interface InstanceDiff<T extends Instance> {
  added: T[];
  changed: T[];
  removed: string[];
}

/** What changed between two sets of instances keyed by id; `same` decides equality of two entries. */
export function diffInstances<T extends Instance>(prev: ReadonlyMap<string, T>, next: ReadonlyMap<string, T>, same: (a: T, b: T) => boolean): InstanceDiff<T> {
  const out: InstanceDiff<T> = { added: [], changed: [], removed: [] };
  for (const [id, n] of next) {
    const p = prev.get(id);
    if (!p) out.added.push(n);
    else if (!same(p, n)) out.changed.push(n);
  }
  for (const id of prev.keys()) if (!next.has(id)) out.removed.push(id);
  return out;
}

/** A Prometheus HTTP service-discovery target group per passing instance. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export function prometheusTargets(list: readonly Instance[]): TargetGroup[] {
  return sortInstances(list.filter((i) => i.health === "passing")).map((i) => ({
    targets: [joinHostPort(i.address, i.port)],
    labels: {
      service: i.name,
      // Consul SD's convention: leading and trailing separators, so relabel regexes can match ",tag,".
      tags: i.tags.length > 0 ? `,${i.tags.join(",")},` : "",
      host: i.owner,
      container: i.container?.name ?? "",
      instance_id: i.id,
    },
  }));
}
