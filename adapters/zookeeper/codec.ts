// Pure encoding of instances into znode data (Curator ServiceInstance JSON, nerve JSON) and back.
import type { Instance } from "../../src/core/model.js";
import { isRecord, parseInstance } from "../../src/core/model.js";
import type { ZooKeeperPayload } from "./options.js";

export const SPRING_INSTANCE_CLASS = "org.springframework.cloud.zookeeper.discovery.ZookeeperInstance";
/** Owner given to entries whose writer left no trace of one (ids without a `<owner>:` prefix). */
export const UNKNOWN_OWNER = "unknown";

/** Reserved label/metadata keys that carry what Curator's and nerve's schemas have no place for. */
export const LABEL_OWNER = "portolan.owner";
export const LABEL_PROTOCOL = "portolan.protocol";
export const LABEL_TAGS = "portolan.tags";
/** Spring payload only: the metadata keys written from tags (JSON array), dropped again when read back. */
export const LABEL_TAG_KEYS = "portolan.tagkeys";
const RESERVED = new Set([LABEL_OWNER, LABEL_PROTOCOL, LABEL_TAGS, LABEL_TAG_KEYS]);

/**
 * Meta (sorted, for stable bytes) then the reserved keys, which win over a meta key of the same name.
 * With `tagsAsKeys` (Spring's `ServiceInstance.getMetadata()`), each tag `k=v` also becomes `k: v` and a bare tag `x`
 * becomes `x: x`, after meta (a key meta or an earlier tag already holds is left to it; an empty key is skipped);
 * `portolan.tags` keeps the tags exactly and `portolan.tagkeys` names the keys tags added, so a read back yields the
 * same tags and meta.
 */
export function instanceLabels(i: Instance, tagsAsKeys = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(i.meta).sort()) {
    if (!RESERVED.has(k)) out[k] = i.meta[k]!;
  }
  const fromTags: string[] = [];
  for (const tag of tagsAsKeys ? i.tags : []) {
    const eq = tag.indexOf("=");
    const key = eq < 0 ? tag : tag.slice(0, eq);
    if (key === "" || RESERVED.has(key) || Object.hasOwn(out, key)) continue;
    out[key] = eq < 0 ? tag : tag.slice(eq + 1);
    fromTags.push(key);
  }
  out[LABEL_OWNER] = i.owner;
  out[LABEL_PROTOCOL] = i.protocol;
  out[LABEL_TAGS] = JSON.stringify(i.tags);
  if (fromTags.length > 0) out[LABEL_TAG_KEYS] = JSON.stringify(fromTags);
  return out;
}

/** A Curator UriSpec part as Jackson writes it. */
const uriPart = (value: string, variable: boolean) => ({ value, variable });

/**
 * Spring's `ServiceInstance.getUri()` is `URI.create(buildUriSpec())`: Curator fills `{scheme}` ("https" when
 * sslPort is set, which portolan never writes: its instances carry no TLS flag) and `{address}`/`{port}` from the
 * instance. An IPv6 address is put in brackets, as a URI needs it.
 */
function springUriSpec(i: Instance) {
  const v6 = i.address.includes(":");
  return {
    parts: [
      uriPart("scheme", true),
      uriPart(v6 ? "://[" : "://", false),
      uriPart("address", true),
      uriPart(v6 ? "]:" : ":", false),
      uriPart("port", true),
    ],
  };
}

/**
 * Byte-for-byte what Curator 5's JsonInstanceSerializer writes for a DYNAMIC ServiceInstance
 * (Jackson's property order; no `enabled`, as in its default compatible mode).
 */
export function encodeCurator(i: Instance, registrationTimeUTC: number, payload: ZooKeeperPayload): string {
  const doc = {
    name: i.name,
    id: i.id,
    address: i.address,
    port: i.port,
    sslPort: null,
    payload:
      payload === "spring" ? { "@class": SPRING_INSTANCE_CLASS, id: i.id, name: i.name, metadata: instanceLabels(i, true) } : null,
    registrationTimeUTC,
    serviceType: "DYNAMIC",
    uriSpec: payload === "spring" ? springUriSpec(i) : null,
  };
  return JSON.stringify(doc);
}

/**
 * Nerve's reporter data: `name` is nerve's instance_id, which is our instance id. An instance without a port keeps
 * the key as `"port": null`: synapse's ZooKeeper watcher skips a child without the key and passes a null port on
 * (docs/registrator.md "Port-less containers").
 */
export function encodeNerve(i: Instance): string {
  const weight = i.meta.weight !== undefined && /^\d{1,5}$/.test(i.meta.weight) ? Number(i.meta.weight) : undefined;
  const doc: Record<string, unknown> = { host: i.address, port: i.port, name: i.id };
  if (weight !== undefined) doc.weight = weight;
  doc.labels = instanceLabels(i);
  return JSON.stringify(doc);
}

export type Decoded = { ok: true; instance: Instance } | { ok: false; reason: string };

function parseJson(data: Buffer | string): unknown {
  try {
    return JSON.parse(typeof data === "string" ? data : data.toString("utf8"));
  } catch {
    return undefined;
  }
}

function ownerFromId(id: string): string {
  const at = id.indexOf(":");
  return at > 0 ? id.slice(0, at) : UNKNOWN_OWNER;
}

/** The owner a decoded node names (its owner label, else its ID's prefix); undefined when neither says. */
export function nodeOwner(i: Instance): string | undefined {
  return i.owner === UNKNOWN_OWNER ? undefined : i.owner;
}

/** Rebuilds the fields our reserved labels carry; any other string label becomes meta. */
function fromLabels(
  base: { id: string; name: string; address: string; port: number | null },
  labels: Record<string, unknown> | undefined,
): Decoded {
  const meta: Record<string, string> = {};
  let tags: unknown = [];
  const tagKeysText = labels?.[LABEL_TAG_KEYS];
  const tagKeys = typeof tagKeysText === "string" ? parseJson(tagKeysText) : [];
  if (!Array.isArray(tagKeys)) return { ok: false, reason: `${LABEL_TAG_KEYS}: not a JSON array` };
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (typeof v !== "string" || RESERVED.has(k) || tagKeys.includes(k)) continue;
    meta[k] = v;
  }
  const tagsText = labels?.[LABEL_TAGS];
  if (typeof tagsText === "string") tags = parseJson(tagsText);
  const owner = labels?.[LABEL_OWNER];
  const protocol = labels?.[LABEL_PROTOCOL] ?? (base.id.endsWith(":udp") ? "udp" : "tcp");
  const parsed = parseInstance({
    ...base,
    protocol,
    tags,
    meta,
    checks: [],
    health: "passing",
    owner: typeof owner === "string" ? owner : ownerFromId(base.id),
  });
  if (!parsed.ok) return { ok: false, reason: `${parsed.path}: ${parsed.message}` };
  return { ok: true, instance: parsed.value };
}

/** A Curator ServiceInstance read from `<base>/<dirName>/<node>`. */
export function decodeCurator(dirName: string, data: Buffer | string): Decoded {
  const doc = parseJson(data);
  if (!isRecord(doc)) return { ok: false, reason: "not a JSON object" };
  const { name, id, address } = doc;
  // `port` null and no sslPort: an instance registered without a port (Curator's ServiceInstance allows it).
  const port = doc.port === null && (doc.sslPort ?? null) === null ? null : (doc.port ?? doc.sslPort);
  if (name !== dirName) return { ok: false, reason: `name ${JSON.stringify(name)} differs from its directory` };
  if (typeof id !== "string" || typeof address !== "string" || (typeof port !== "number" && port !== null)) {
    return { ok: false, reason: "id, address or port missing" };
  }
  const payload = doc.payload;
  const labels = isRecord(payload) && isRecord(payload.metadata) ? payload.metadata : undefined;
  return fromLabels({ id, name: dirName, address, port }, labels);
}

/** A nerve entry read from `<base>/<dirName>/services/<child>`; `fallbackId` names it when its data carries no name. */
export function decodeNerve(dirName: string, fallbackId: string, data: Buffer | string): Decoded {
  const doc = parseJson(data);
  if (!isRecord(doc)) return { ok: false, reason: "not a JSON object" };
  const { host, port, name, labels } = doc;
  if (typeof host !== "string" || (typeof port !== "number" && port !== null)) return { ok: false, reason: "host or port missing" };
  const id = typeof name === "string" && name !== "" ? name : fallbackId;
  return fromLabels({ id, name: dirName, address: host, port }, isRecord(labels) ? labels : undefined);
}
