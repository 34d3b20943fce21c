// Text tables for `portolan catalog` (pure: data in, string out).
import { joinHostPort } from "../core/host-port.js";
import type { Instance } from "../core/model.js";
import type { HostRefusals } from "../core/refusals.js";
import type { ChangeEntry } from "./changes.js";
import type { ServiceSummary } from "./view.js";

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** Control characters (from untrusted labels) must not reach a terminal. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

export function formatServices(list: readonly ServiceSummary[]): string {
  if (list.length === 0) return "no services\n";
  return table(
    ["SERVICE", "PASSING", "INSTANCES", "TAGS"],
    list.map((s) => [clean(s.name), String(s.passing), String(s.instances), clean(s.tags.join(","))]),
  );
}

export function formatInstances(list: readonly Instance[]): string {
  if (list.length === 0) return "no instances\n";
  return table(
    ["ID", "ADDRESS", "HEALTH", "HOST", "CONTAINER", "TAGS"],
    list.map((i) => [
      clean(i.id),
      clean(joinHostPort(i.address, i.port)),
      i.health,
      clean(i.owner),
      i.container ? clean(`${i.container.name} ${i.container.id.slice(0, 12)}`) : "-",
      clean(i.tags.join(",")),
    ]),
  );
}

export const CHANGE_HEADER = ["TIME", "CHANGE", "HOST", "CONTAINER", "INSTANCE", "DETAIL"];

/** What the change did, in a few words: the health it left, `from → to`, or a refusal's port, key and reason. */
export function changeDetail(e: ChangeEntry): string {
  if (e.kind === "health") return `${e.from ?? "?"} -> ${e.health ?? "?"}`;
  if (e.kind === "refused") return `${e.port ? `${e.port} ` : ""}${e.key ?? ""}: ${e.reason ?? ""}`;
  return e.health ?? "";
}

export function changeRow(e: ChangeEntry): string[] {
  return [e.at, e.kind, e.host || "-", e.container ?? "-", e.id ?? "-", changeDetail(e)].map(clean);
}

/** The recent changes as one table (oldest first, as given). */
export function formatChanges(list: readonly ChangeEntry[]): string {
  if (list.length === 0) return "no changes yet\n";
  return table(CHANGE_HEADER, list.map(changeRow));
}

/** One row of a followed stream: columns padded to fixed widths (later rows are not known yet). */
export function changeLine(cells: string[]): string {
  const widths = [24, 12, 16, 20, 32];
  return cells.map((v, c) => (c < widths.length ? v.padEnd(widths[c]!) : v)).join("  ").trimEnd() + "\n";
}

/** `portolan catalog refusals`: one line per refusal, then "HOST: N more not listed" per host that has more. */
export function formatRefusals(hosts: readonly HostRefusals[]): string {
  const rows = hosts.flatMap((h) => h.refusals.map((r) => [h.host, r.container, r.port ?? "-", r.key, r.since, r.reason].map(clean)));
  const more = hosts.filter((h) => h.more > 0).map((h) => `${clean(h.host)}: ${h.more} more not listed\n`);
  return (rows.length === 0 ? "no refusals\n" : table(["HOST", "CONTAINER", "PORT", "KEY", "SINCE", "REASON"], rows)) + more.join("");
}
