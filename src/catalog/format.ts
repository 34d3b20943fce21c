// Text tables for `portolan catalog` (pure: data in, string out).
import { joinHostPort } from "../core/host-port.js";
import type { Instance } from "../core/model.js";
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
