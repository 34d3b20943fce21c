/// <reference lib="dom" />
// The page's other views: hosts (instances grouped by the registrator's --hostname, with counts and health), the
// recent changes (registrations, deregistrations, health changes, refusals; newest first) and an instance's
// details. DOM builders only: text, never HTML (every value comes from container labels).
import { joinHostPort } from "../../core/host-port.js";
import type { ChangeEntry } from "../changes.js";
import type { HostRefusals } from "../../core/refusals.js";
import type { RefusalsDocument } from "../state.js";

export type Refusals = RefusalsDocument;

export type Health = "passing" | "warning" | "critical";
/** One entry of the catalog's recent changes (the server's type: only the type is imported, nothing is bundled). */
export type Change = ChangeEntry;

export interface Check {
  type: string;
  target?: string;
  intervalMs?: number;
  timeoutMs?: number;
}

export interface Inst {
  id: string;
  name: string;
  address: string;
  port: number | null;
  protocol?: string;
  tags: string[];
  meta?: Record<string, string>;
  checks?: Check[];
  health: Health;
  owner: string;
  container?: { id: string; name: string };
  since?: string;
  registeredAt?: string;
  checkOutput?: string;
}


export function el(tag: string, cls?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function hostPort(i: Inst): string {
  return joinHostPort(i.address, i.port);
}

function counts(c: Record<Health, number>): HTMLElement {
  const td = el("td");
  for (const k of ["passing", "warning", "critical"] as const) td.append(el("span", `n ${c[k] ? k : "muted"}`, String(c[k])));
  return td;
}

export interface HostGroup {
  host: string;
  instances: number;
  counts: Record<Health, number>;
  services: Set<string>;
}

export function hostGroups(list: Iterable<Inst>): HostGroup[] {
  const by = new Map<string, HostGroup>();
  for (const i of list) {
    let g = by.get(i.owner);
    if (!g) by.set(i.owner, (g = { host: i.owner, instances: 0, counts: { passing: 0, warning: 0, critical: 0 }, services: new Set() }));
    g.instances++;
    g.counts[i.health]++;
    g.services.add(i.name);
  }
  return [...by.values()].sort((a, b) => (a.host < b.host ? -1 : 1));
}

export function hostRow(g: HostGroup): HTMLElement {
  const tr = el("tr", "host");
  tr.dataset.host = g.host;
  const state = g.counts.passing === g.instances ? "passing" : g.counts.passing === 0 ? "critical" : "warning";
  tr.append(el("td", "name", g.host), el("td", state, String(g.instances)), counts(g.counts), el("td", "muted", [...g.services].sort().join(", ")));
  return tr;
}

export function changeText(c: Change): string {
  return [c.kind, c.host, c.container ?? "", c.id ?? "", c.service ?? "", c.key ?? "", c.reason ?? ""].join("\n").toLowerCase();
}

function detail(c: Change): string {
  if (c.kind === "health") return `${c.from ?? "?"} → ${c.health ?? "?"}`;
  if (c.kind === "refused") return `${c.port ? `${c.port} ` : ""}${c.key ?? ""}: ${c.reason ?? ""}`;
  return c.health ?? "";
}

export function changeRow(c: Change): HTMLElement {
  const tr = el("tr", `change ${c.kind}`);
  tr.dataset.kind = c.kind;
  if (c.container) tr.dataset.container = c.container;
  const healthClass = c.kind === "refused" || c.kind === "deregistered" ? "critical" : c.health;
  tr.append(
    el("td", "muted", new Date(c.at).toLocaleTimeString()),
    el("td", `kind ${c.kind}`, c.kind),
    el("td", undefined, c.host || "—"),
    el("td", undefined, c.container ?? "—"),
    el("td", undefined, c.id ?? "—"),
    el("td", healthClass, detail(c)),
  );
  tr.title = c.at;
  return tr;
}

/** The expanded instance: address, container, since, checks and their output, tags and metadata. */
export function detailRow(i: Inst): HTMLElement {
  const tr = el("tr", "detail");
  tr.dataset.detail = i.id;
  const td = el("td") as HTMLTableCellElement;
  td.colSpan = 4;
  const dl = el("dl");
  const add = (k: string, v: string) => dl.append(el("dt", undefined, k), el("dd", undefined, v));
  add("address", `${hostPort(i)}${i.protocol ? `/${i.protocol}` : ""}`);
  add("health", i.health);
  add("host", i.owner);
  if (i.container) add("container", `${i.container.name} (${i.container.id.slice(0, 12)})`);
  if (i.since) add("since", `${new Date(i.since).toLocaleString()} (${i.registeredAt ? "registered in the backend" : "first seen by this catalog; the backend keeps no registration time"})`);
  for (const c of i.checks ?? []) add(`check ${c.type}`, [c.target, c.intervalMs && `every ${c.intervalMs / 1000}s`, c.timeoutMs && `timeout ${c.timeoutMs / 1000}s`].filter(Boolean).join(" · ") || "(no target)");
  // Untrusted (a check's output can be anything a service prints): bounded by the server, shown as text only.
  if (i.checkOutput) dl.append(el("dt", undefined, "check output"), el("dd", "output", i.checkOutput));
  if (i.tags.length) add("tags", i.tags.join(", "));
  for (const [k, v] of Object.entries(i.meta ?? {}).sort()) add(`meta ${k}`, v);
  td.append(dl);
  tr.append(td);
  return tr;
}

/** The refused view's rows: one per refusal (host, container, port, key, reason, since), then "… N more" per host. */
export function refusalRows(hosts: HostRefusals[], q: string): HTMLElement[] {
  const rows: HTMLElement[] = [];
  for (const h of hosts) {
    for (const r of h.refusals) {
      if (q && ![h.host, r.container, r.key, r.reason].join("\n").toLowerCase().includes(q)) continue;
      const tr = el("tr", "refusal");
      tr.dataset.host = h.host;
      tr.dataset.container = r.container;
      tr.title = r.since;
      tr.append(el("td", "name", h.host), el("td", undefined, r.container), el("td", undefined, r.port ?? "—"), el("td", undefined, r.key), el("td", "critical", r.reason), el("td", "muted", new Date(r.since).toLocaleString()));
      rows.push(tr);
    }
    if (h.more > 0) {
      const tr = el("tr", "refusal-more");
      tr.dataset.host = h.host;
      const td = el("td", "muted", `${h.host}: ${h.more} more not listed`) as HTMLTableCellElement;
      td.colSpan = 6;
      tr.append(td);
      rows.push(tr);
    }
  }
  return rows;
}

/** Why the refused view is empty: not shared by the backend, not readable, or nothing refused. */
export function refusalsNote(d: Refusals | undefined): string {
  if (!d) return "";
  if (!d.shared) return `${d.message ?? "refusals are not shared by this backend"}: each host's log says what its registrator refuses.`;
  if (d.error) return `The backend does not show the refusals now: ${d.error}`;
  return d.hosts.length === 0 ? "No host refuses anything now." : "";
}
