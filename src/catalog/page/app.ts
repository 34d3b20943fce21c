/// <reference lib="dom" />
// The live page: one EventSource on /v1/events (a snapshot with the recent changes, then changes and refusals; the
// browser resumes with Last-Event-ID after a drop). Three views: services (grouped and filtered in the browser,
// expandable to instances and an instance's details), hosts, and recent changes; rendered at most once per frame.
// Every value from the catalog is untrusted (container labels): text only, never HTML.
import { changeRow, changeText, detailRow, el, hostGroups, hostPort, hostRow, refusalRows, refusalsNote, type Change, type Health, type Inst, type Refusals } from "./views.js";

/** Changes the page keeps (the server's log holds as many). */
const MAX_CHANGES = 500;

interface Group {
  name: string;
  list: Inst[];
  counts: Record<Health, number>;
  tags: Set<string>;
  hosts: Set<string>;
}

const byId = new Map<string, Inst>();
const open = new Set<string>();
const openInstances = new Set<string>();
let changes: Change[] = [];
let view: "services" | "hosts" | "changes" | "refusals" = "services";
let refusals: Refusals | undefined;
let loaded = false;
let connected = false;
let backend = "starting";
let scheduled = false;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const tbody = $<HTMLTableSectionElement>("services");
const filterInput = $<HTMLInputElement>("filter");
const healthSelect = $<HTMLSelectElement>("health");

function haystack(i: Inst): string {
  return [i.name, i.id, hostPort(i), i.owner, i.container?.name ?? "", ...i.tags].join("\n").toLowerCase();
}

function groups(): Group[] {
  const q = filterInput.value.trim().toLowerCase();
  const h = healthSelect.value;
  const by = new Map<string, Group>();
  for (const i of byId.values()) {
    if (h && i.health !== h) continue;
    if (q && !haystack(i).includes(q)) continue;
    let g = by.get(i.name);
    if (!g) by.set(i.name, (g = { name: i.name, list: [], counts: { passing: 0, warning: 0, critical: 0 }, tags: new Set(), hosts: new Set() }));
    g.list.push(i);
    g.counts[i.health]++;
    for (const t of i.tags) g.tags.add(t);
    g.hosts.add(i.owner);
  }
  return [...by.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

function serviceRow(g: Group): HTMLElement {
  const tr = el("tr", open.has(g.name) ? "svc open" : "svc");
  tr.dataset.service = g.name;
  tr.append(el("td", "name", g.name));
  const counts = el("td");
  for (const k of ["passing", "warning", "critical"] as const) counts.append(el("span", `n ${g.counts[k] ? k : "muted"}`, String(g.counts[k])));
  tr.append(counts);
  const tags = el("td");
  for (const t of [...g.tags].sort()) tags.append(el("span", "tag", t));
  tr.append(tags, el("td", "muted", [...g.hosts].sort().join(", ")));
  return tr;
}

function instanceRow(i: Inst): HTMLElement {
  const tr = el("tr", "inst");
  tr.dataset.instance = i.id;
  const since = i.since ? ` · since ${new Date(i.since).toLocaleString()}` : "";
  tr.append(
    el("td", undefined, i.id),
    el("td", i.health, `${i.health} · ${hostPort(i)}`),
    el("td", undefined, i.tags.join(", ")),
    el("td", "muted", `${i.owner}${i.container ? ` · ${i.container.name} ${i.container.id.slice(0, 12)}` : ""}${since}`),
  );
  return tr;
}

/** Rows already built, by a key that changes whenever what they show changes: unchanged rows are reused. */
let rowCache = new Map<string, HTMLElement>();

function cached(key: string, next: Map<string, HTMLElement>, build: () => HTMLElement): HTMLElement {
  const e = rowCache.get(key) ?? build();
  next.set(key, e);
  return e;
}

/** Makes tbody's children equal `rows` with few DOM moves (a change touches only the rows it concerns). */
function reconcile(rows: HTMLElement[]): void {
  let cur = tbody.firstElementChild;
  for (const r of rows) {
    if (cur === r) cur = cur.nextElementSibling;
    else tbody.insertBefore(r, cur);
  }
  while (cur) {
    const next = cur.nextElementSibling;
    cur.remove();
    cur = next;
  }
}

function render(): void {
  scheduled = false;
  const gs = groups();
  const next = new Map<string, HTMLElement>();
  const rows: HTMLElement[] = [];
  for (const g of gs) {
    const isOpen = open.has(g.name);
    const key = JSON.stringify([g.name, g.counts, [...g.tags].sort(), [...g.hosts].sort(), isOpen]);
    rows.push(cached(key, next, () => serviceRow(g)));
    if (!isOpen) continue;
    for (const i of g.list.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      rows.push(cached(JSON.stringify(i), next, () => instanceRow(i)));
      if (openInstances.has(i.id)) rows.push(cached(`detail ${JSON.stringify(i)}`, next, () => detailRow(i)));
    }
  }
  rowCache = next;
  reconcile(rows);
  renderOthers();
  const services = new Set([...byId.values()].map((i) => i.name)).size;
  const hosts = new Set([...byId.values()].map((i) => i.owner)).size;
  $("summary").textContent = loaded ? `${services} services · ${byId.size} instances · ${hosts} hosts` : "loading…";
  const empty = $("empty");
  empty.textContent = !loaded ? "Waiting for the catalog…" : byId.size === 0 ? "No services registered yet. Start a container that publishes a port." : gs.length === 0 ? "No service matches the filter." : "";
  empty.dataset.state = !loaded ? "loading" : byId.size === 0 ? "empty" : gs.length === 0 ? "no-match" : "";
  empty.classList.toggle("shown", empty.textContent !== "");
  const state = !connected ? "disconnected" : backend === "down" ? "backend-down" : loaded ? "live" : "connecting";
  const status = $("status");
  status.dataset.state = state;
  status.textContent = { disconnected: "disconnected", "backend-down": "backend down", live: "live", connecting: "connecting" }[state];
  const banner = $("banner");
  banner.textContent =
    state === "disconnected" ? "Disconnected from portolan — reconnecting; the list shows the last known catalog." : state === "backend-down" ? "The registry backend does not answer — the list shows the last known catalog." : "";
  banner.classList.toggle("shown", banner.textContent !== "");
}

/** The hosts and recent-changes tables (small: rebuilt whole), and which view shows. */
function renderOthers(): void {
  const q = filterInput.value.trim().toLowerCase();
  const h = healthSelect.value;
  const shown = [...byId.values()].filter((i) => (!h || i.health === h) && (!q || haystack(i).includes(q)));
  $("hosts").replaceChildren(...hostGroups(shown).map(hostRow));
  $("changes").replaceChildren(...changes.filter((c) => !q || changeText(c).includes(q)).map(changeRow));
  $("changes-empty").classList.toggle("shown", view === "changes" && changes.length === 0);
  $("refusals").replaceChildren(...refusalRows(refusals?.hosts ?? [], q));
  const note = $("refusals-note");
  note.textContent = refusalsNote(refusals);
  note.classList.toggle("shown", view === "refusals" && note.textContent !== "");
  for (const v of ["services", "hosts", "changes", "refusals"] as const) {
    $(`view-${v}`).hidden = v !== view;
    $(`tab-${v}`).setAttribute("aria-selected", String(v === view));
  }
  if (view !== "services") $("empty").classList.remove("shown");
}

function addChanges(newestLast: Change[]): void {
  if (newestLast.length === 0) return;
  changes = [...newestLast.reverse(), ...changes].slice(0, MAX_CHANGES);
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(render);
}

tbody.addEventListener("click", (ev) => {
  const inst = (ev.target as HTMLElement).closest<HTMLElement>("tr.inst")?.dataset.instance;
  if (inst) {
    if (openInstances.has(inst)) openInstances.delete(inst);
    else openInstances.add(inst);
    return render();
  }
  const row = (ev.target as HTMLElement).closest<HTMLElement>("tr.svc");
  const name = row?.dataset.service;
  if (!name) return;
  if (open.has(name)) open.delete(name);
  else open.add(name);
  render();
});
filterInput.addEventListener("input", schedule);
for (const v of ["services", "hosts", "changes", "refusals"] as const) {
  $(`tab-${v}`).addEventListener("click", () => {
    view = v;
    render();
  });
}
healthSelect.addEventListener("change", schedule);

const es = new EventSource("/v1/events");
es.onopen = () => {
  connected = true;
  schedule();
};
es.onerror = () => {
  connected = false;
  schedule();
};
es.addEventListener("snapshot", (ev) => {
  const d = JSON.parse((ev as MessageEvent<string>).data) as { instances: Inst[]; backend: string; loaded: boolean; changes?: Change[]; refusals?: Refusals };
  changes = (d.changes ?? []).slice(0, MAX_CHANGES);
  refusals = d.refusals;
  byId.clear();
  for (const i of d.instances) byId.set(i.id, i);
  backend = d.backend;
  loaded = d.loaded;
  connected = true;
  schedule();
});
es.addEventListener("change", (ev) => {
  const d = JSON.parse((ev as MessageEvent<string>).data) as { added: Inst[]; changed: Inst[]; removed: string[]; changes?: Change[] };
  addChanges(d.changes ?? []);
  for (const i of d.added) byId.set(i.id, i);
  for (const i of d.changed) byId.set(i.id, i);
  for (const id of d.removed) byId.delete(id);
  loaded = true;
  schedule();
});
es.addEventListener("refused", (ev) => {
  addChanges([JSON.parse((ev as MessageEvent<string>).data) as Change]);
  schedule();
});
es.addEventListener("refusals", (ev) => {
  refusals = JSON.parse((ev as MessageEvent<string>).data) as Refusals;
  schedule();
});
es.addEventListener("backend", (ev) => {
  backend = (JSON.parse((ev as MessageEvent<string>).data) as { status: string }).status;
  schedule();
});
