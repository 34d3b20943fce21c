// Pure: where an instance lives in etcd (CoreDNS's `etcd` plugin layout, SkyDNS keys) and the JSON it holds.
//   key   PREFIX/<zone labels reversed>/<name>/<id segment>        e.g. /skydns/consul/service/web/host_3aweb_3a80
//   value {"host","port","ttl"[,"priority","weight"],"portolan":{id,name,owner,protocol,tags,meta,checks,health[,container]}}
// CoreDNS reads host, port, ttl, priority and weight and ignores the rest; portolan reads its own object back.
import { createHash } from "node:crypto";
import type { Instance } from "../../src/core/model.js";
import { parseInstance } from "../../src/core/model.js";

/** Where a registry's entries live: `base` is PREFIX/<zone reversed>/ (with the trailing slash). */
export interface Layout {
  prefix: string;
  zone: string;
  /** Seconds, the `ttl` CoreDNS serves. */
  ttlS: number;
}

export const DNS_LABEL_MAX = 63;
/** Escaped segments longer than a DNS label keep this much of their text, then "-" and 16 hex digits of a hash. */
const KEPT = DNS_LABEL_MAX - 17;

export function baseOf(l: Pick<Layout, "prefix" | "zone">): string {
  return `${l.prefix}/${l.zone.split(".").reverse().join("/")}/`;
}

/**
 * One key segment for an ID that is also one DNS label CoreDNS can answer (an SRV target is the key read back as a
 * name, and CoreDNS lower-cases questions): a-z, 0-9 and "-" stay; every other byte of its UTF-8 is "_" and two
 * lower-case hex digits ("host:web:80" -> "host_3aweb_3a80"). Longer than 63 octets: its first 46, "-", and 16 hex
 * digits of its SHA-256, so it is still one label and two IDs never share one. The value keeps the ID itself.
 */
export function idSegment(id: string): string {
  let out = "";
  for (const b of Buffer.from(id, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[a-z0-9-]/.test(c) ? c : `_${b.toString(16).padStart(2, "0")}`;
  }
  if (out.length <= DNS_LABEL_MAX) return out;
  return `${out.slice(0, KEPT)}-${createHash("sha256").update(id, "utf8").digest("hex").slice(0, 16)}`;
}

/** What every ID segment of `owner`'s default IDs (`<owner>:…`) starts with (its first 46 octets at most). */
export function ownerSegmentPrefix(owner: string): string {
  return idSegment(`${owner}:`).slice(0, KEPT);
}

export function keyOf(l: Pick<Layout, "prefix" | "zone">, ref: { name: string; id: string }): string {
  return `${baseOf(l)}${ref.name.toLowerCase()}/${idSegment(ref.id)}`;
}

/** SRV priority and weight from the meta keys `priority` and `weight` (integers 0-65535), as CoreDNS reads them. */
export const SRV_META = ["priority", "weight"] as const;

/** Why meta[k] cannot be an SRV field, or undefined. */
export function srvMetaProblem(meta: Record<string, string>): { key: string; reason: string } | undefined {
  for (const k of SRV_META) {
    const v = meta[k];
    if (v !== undefined && !(/^\d{1,5}$/.test(v) && Number(v) <= 65535)) {
      return { key: `meta.${k}`, reason: `SRV ${k} ${JSON.stringify(v)} is not an integer 0-65535` };
    }
  }
  return undefined;
}

/** The value written for `i` (stable: same instance, same bytes). */
export function encodeValue(i: Instance, ttlS: number): string {
  // An instance without a port has none in its value: CoreDNS answers its A record (and port 0 in SRV).
  const doc: Record<string, unknown> = { host: i.address, ...(i.port !== null && { port: i.port }), ttl: ttlS };
  for (const k of SRV_META) if (i.meta[k] !== undefined) doc[k] = Number(i.meta[k]);
  const meta: Record<string, string> = {};
  for (const k of Object.keys(i.meta).sort()) meta[k] = i.meta[k]!;
  doc.portolan = {
    id: i.id,
    name: i.name,
    owner: i.owner,
    protocol: i.protocol,
    tags: i.tags,
    meta,
    checks: i.checks,
    health: i.health,
    ...(i.container && { container: { id: i.container.id, name: i.container.name } }),
  };
  return JSON.stringify(doc);
}

export type Decoded = { ok: true; instance: Instance } | { ok: false; reason: string };

/** The instance in a value portolan wrote at `key` (a value of another writer, or one moved to another key: not ok). */
export function decodeValue(l: Pick<Layout, "prefix" | "zone">, key: string, value: string): Decoded {
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return { ok: false, reason: "value is not JSON" };
  }
  const d = doc as { host?: unknown; port?: unknown; portolan?: Record<string, unknown> };
  if (typeof d !== "object" || d === null || typeof d.portolan !== "object" || d.portolan === null) {
    return { ok: false, reason: "no portolan object (not written by portolan)" };
  }
  const p = d.portolan;
  const parsed = parseInstance({ ...p, address: d.host, port: d.port ?? null });
  if (!parsed.ok) return { ok: false, reason: `invalid: ${parsed.path} ${parsed.message}` };
  const instance = parsed.value;
  if (keyOf(l, instance) !== key) return { ok: false, reason: "its key is not the one of its name and ID" };
  return { ok: true, instance };
}

/** The owner named in a value, whoever wrote it ("" when it names none). */
export function ownerOfValue(value: string): string {
  try {
    const owner = (JSON.parse(value) as { portolan?: { owner?: unknown } })?.portolan?.owner;
    return typeof owner === "string" ? owner : "";
  } catch {
    return "";
  }
}

/** The container name in a value, for "held by" messages. */
export function containerOfValue(value: string): { name: string } | undefined {
  try {
    const name = (JSON.parse(value) as { portolan?: { container?: { name?: unknown } } })?.portolan?.container?.name;
    return typeof name === "string" ? { name } : undefined;
  } catch {
    return undefined;
  }
}
