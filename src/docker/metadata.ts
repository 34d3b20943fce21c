// SERVICE_* metadata of a container, read from env and labels (pure; registrator-compatible keys).
//
// Rules (see DESIGN.md "Service model and metadata"):
// - Only keys starting with `SERVICE_` (any case: `service_name` too, as docs/registrator.md says keys are
//   case-insensitive) are read; no other env var or label is ever looked at, so secrets in the environment never
//   reach a registry.
// - The rest of the key is lower-cased, as registrator does: `SERVICE_Name` and `SERVICE_NAME` are the same
//   attribute `name`. When two spellings collide in one source, the one sorting last (ASCII) wins.
// - `SERVICE_<port>_<X>` applies to the exposed port `<port>` only (tcp and udp alike, as registrator) and
//   beats `SERVICE_<X>` for that port, whatever the source of either.
// - Labels beat env for the same key. (gliderlabs/registrator lets env win; portolan follows DESIGN.md.)
// - An empty or whitespace-only value counts as unset (registrator's `mapDefault` treats "" as absent too).
// - `SERVICE_<digits>` alone (no attribute) is ignored.

import { MAX_META_KEYS, MAX_META_VALUE } from "../core/model.js";
import { CONTROL_CHARS, RESERVED_META_KEY } from "../core/validate.js";
import { MetadataRefusal, quote } from "./refusal.js";

export type MetaSource = "label" | "env";

/** One SERVICE_* value with where it came from, so rejections can name the exact key. */
export interface MetaEntry {
  value: string;
  /** The original key, e.g. `SERVICE_80_NAME`. */
  key: string;
  source: MetaSource;
}

/** An entry as seen by one port: `fromPort` is true when a `SERVICE_<port>_X` key supplied it. */
export interface PortEntry extends MetaEntry {
  fromPort: boolean;
}

export interface ServiceMetadata {
  /** attribute (lower-case, e.g. `check_http`) -> entry from `SERVICE_X`. */
  generic: ReadonlyMap<string, MetaEntry>;
  /** exposed port (decimal, no leading zeros) -> attribute -> entry from `SERVICE_<port>_X`. */
  byPort: ReadonlyMap<string, ReadonlyMap<string, MetaEntry>>;
}

export const SERVICE_PREFIX = "SERVICE_";

/** Attributes portolan interprets itself; they never become service metadata. */
const CONTROL_ATTRS = new Set(["name", "tags", "id", "ignore", "network", "networks", "port", "tag_override"]);

/** `SERVICE_META_<KEY>`: metadata `<key>` by name, whatever `<key>` is (`SERVICE_META_NAME` is meta, not the name). */
const META_PREFIX = "meta_";

/**
 * True for attributes that steer registration rather than describe the service. Every `check_*`
 * attribute counts, including registrator's `check_cmd`/`check_script`, which portolan never runs.
 */
export function isControlAttr(attr: string): boolean {
  return !attr.startsWith(META_PREFIX) && (CONTROL_ATTRS.has(attr) || attr.startsWith("check_"));
}

/**
 * Metadata key -> the entry giving it, sorted by key: `SERVICE_META_<KEY>` gives `<key>` and beats `SERVICE_<KEY>`;
 * every other non-control attribute gives itself. `SERVICE_META_` with nothing after it gives "" (refused).
 */
export function metaEntries(attrs: ReadonlyMap<string, PortEntry>): Array<[string, PortEntry]> {
  const out = new Map<string, PortEntry>();
  for (const [attr, e] of attrs) if (!isControlAttr(attr) && !attr.startsWith(META_PREFIX)) out.set(attr, e);
  for (const [attr, e] of attrs) if (attr.startsWith(META_PREFIX)) out.set(attr.slice(META_PREFIX.length), e);
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** portolan's rule for metadata keys, every backend alike (a backend may refuse more, e.g. Consul refuses "."). */
const META_KEY = /^[a-z0-9][a-z0-9_.-]{0,127}$/i;

interface RawEntry {
  attr: string;
  port: string | undefined;
  entry: MetaEntry;
}

function parseKey(key: string, value: string, source: MetaSource): RawEntry | undefined {
  if (key.slice(0, SERVICE_PREFIX.length).toUpperCase() !== SERVICE_PREFIX || value.trim() === "") return undefined;
  const rest = key.slice(SERVICE_PREFIX.length).toLowerCase();
  if (rest === "" || /^\d+$/.test(rest)) return undefined;
  const m = /^(\d+)_(.+)$/.exec(rest);
  const entry = { value, key, source };
  if (m) return { attr: m[2]!, port: String(Number(m[1]!)), entry };
  return { attr: rest, port: undefined, entry };
}

/** `KEY=VALUE` lines (Docker's Config.Env); lines without `=` are skipped. */
function envPairs(env: readonly string[] | null | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of env ?? []) {
    const eq = line.indexOf("=");
    if (eq > 0) out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

/** Reads every SERVICE_* key of a container. Env and labels may be null in real inspect JSON. */
export function readServiceMetadata(
  env: readonly string[] | null | undefined,
  labels: Readonly<Record<string, string>> | null | undefined,
): ServiceMetadata {
  const generic = new Map<string, MetaEntry>();
  const byPort = new Map<string, Map<string, MetaEntry>>();
  const sources: Array<[MetaSource, Array<[string, string]>]> = [
    ["env", envPairs(env)],
    ["label", Object.entries(labels ?? {})],
  ];
  // env first, then labels: later writes win, so labels beat env; keys sorted for determinism.
  for (const [source, pairs] of sources) {
    const sorted = [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, value] of sorted) {
      const raw = parseKey(key, value, source);
      if (!raw) continue;
      if (raw.port === undefined) {
        generic.set(raw.attr, raw.entry);
      } else {
        let m = byPort.get(raw.port);
        if (!m) byPort.set(raw.port, (m = new Map()));
        m.set(raw.attr, raw.entry);
      }
    }
  }
  return { generic, byPort };
}

/** The attributes that apply to one exposed port (port-specific entries over generic ones); port "": generic only. */
export function metadataForPort(md: ServiceMetadata, port: string): ReadonlyMap<string, PortEntry> {
  const out = new Map<string, PortEntry>();
  for (const [attr, e] of md.generic) out.set(attr, { ...e, fromPort: false });
  const specific = port === "" ? undefined : md.byPort.get(String(Number(port)));
  for (const [attr, e] of specific ?? []) out.set(attr, { ...e, fromPort: true });
  return out;
}

/**
 * Splits a registrator tag list: commas separate, `\,` is a literal comma. Tags are trimmed, empty ones
 * dropped, order kept (registrator reverses the order; portolan does not).
 */
export function splitTags(text: string): string[] {
  const tags: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && text[i + 1] === ",") {
      cur += ",";
      i++;
    } else if (c === ",") {
      tags.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  tags.push(cur);
  return tags.map((t) => t.trim()).filter((t) => t !== "");
}

/**
 * Service metadata from the non-control attributes: keys stay lower-case (as registrator), values as given.
 * Rejects more than 64 keys, a value over 4096 characters, a key that is not 1-128 letters, digits, "_", "." or
 * "-", and a key that looks like portolan's own (`portolan_owner`, `portolan.x`).
 */
export function buildMeta(attrs: ReadonlyMap<string, PortEntry>): Record<string, string> {
  const meta: Record<string, string> = {};
  const entries = metaEntries(attrs);
  if (entries.length > MAX_META_KEYS) {
    throw new MetadataRefusal(`${SERVICE_PREFIX}*`, `${entries.length} metadata keys, at most ${MAX_META_KEYS} allowed`);
  }
  for (const [attr, e] of entries) {
    if (!META_KEY.test(attr)) {
      throw new MetadataRefusal(e.key, `metadata key ${quote(attr)} must be 1-128 letters, digits, "_", "." or "-"`);
    }
    if (RESERVED_META_KEY.test(attr)) throw new MetadataRefusal(e.key, `metadata key ${quote(attr)} is reserved for portolan`);
    if (e.value.length > MAX_META_VALUE) {
      throw new MetadataRefusal(e.key, `metadata value is ${e.value.length} characters, at most ${MAX_META_VALUE} allowed`);
    }
    if (CONTROL_CHARS.test(e.value)) throw new MetadataRefusal(e.key, "metadata value contains a control character");
    meta[attr] = e.value;
  }
  return meta;
}
