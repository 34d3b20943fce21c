// The service model shared by every stage: its types, and parseInstance(), which checks anything that claims to be
// an instance (a backend's entry, a remote catalog's, one the registrator built) against them. Hand-written, not
// zod: this module is on the registrator's path, where zod/v3 held 2-3 MiB of RSS and its checks ~0.3 ms of CPU per
// container start in V8's interpreter (the registrator's only tier; bin/portolan), measured.

/** A DNS label (RFC 1123): what service names and tags must be so DNS and Java readers never choke. */
export const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** portolan's own bounds, the same for every backend (adapters add theirs: see each adapter's validate()). */
export const MAX_TAG_LENGTH = 255;
export const MAX_META_KEYS = 64;
export const MAX_META_VALUE = 4096;
/** Check output a backend reports is untrusted text: at most this many characters reach the model (see boundText). */
export const MAX_CHECK_OUTPUT = 1024;
export const MAX_ID_LENGTH = 512;

export const HEALTH = ["passing", "warning", "critical"] as const;
export type Health = (typeof HEALTH)[number];
export const isHealth = (x: unknown): x is Health => x === "passing" || x === "warning" || x === "critical";

export const CHECK_TYPES = ["http", "https", "tcp", "ttl"] as const;

export interface Check {
  type: (typeof CHECK_TYPES)[number];
  /** URL for http/https, host:port for tcp; absent for ttl. */
  target?: string | undefined;
  /** Milliseconds. For ttl checks this is the TTL. */
  intervalMs?: number | undefined;
  timeoutMs?: number | undefined;
  initialStatus?: Health | undefined;
  deregisterAfterMs?: number | undefined;
  tlsSkipVerify?: boolean | undefined;
}

export interface Instance {
  /** `<hostname>:<container-name>:<exposed-port>[:udp]`, as gliderlabs/registrator; 1-MAX_ID_LENGTH characters. */
  id: string;
  /** A DNS label. */
  name: string;
  address: string;
  /**
   * The port, or null for a service registered without one (a container that exposes none: workers, batch jobs,
   * sidecars). Every reader says how it shows a port-less instance (docs/registrator.md "Port-less containers").
   */
  port: number | null;
  protocol: "tcp" | "udp";
  /** Each at most MAX_TAG_LENGTH characters. */
  tags: string[];
  /** At most MAX_META_KEYS keys, each value at most MAX_META_VALUE characters. */
  meta: Record<string, string>;
  checks: Check[];
  health: Health;
  /** Hostname of the registrator that owns this entry; `--cleanup` only touches its own. */
  owner: string;
  container?: { id: string; name: string } | undefined;
  /** SERVICE_TAG_OVERRIDE: Consul's EnableTagOverride (others may edit the tags in Consul); other backends ignore it. */
  enableTagOverride?: boolean | undefined;
  /**
   * What the backend reports of this entry, not part of its registration (readers' watches fill them; the
   * registrator's plan ignores them): the output of its checks (Consul: each check's Output), at most
   * MAX_CHECK_OUTPUT characters without control characters; and the ISO 8601 time the backend registered it, where
   * the backend stores one (ZooKeeper: the node's ctime; Eureka: registrationTimestamp; Consul and etcd keep none).
   */
  checkOutput?: string | undefined;
  registeredAt?: string | undefined;
}

/** What parseInstance found: a copy with only the model's fields, or the first problem (its dotted path, and why). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; path: string; message: string };

/** A field that is not what the model says: its path and why. Thrown and caught inside this module only. */
class Bad {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

type Rec = Record<string, unknown>;
/** A JSON object (not null, not an array). */
export const isRecord = (x: unknown): x is Rec => typeof x === "object" && x !== null && !Array.isArray(x);

function str(x: unknown, path: string, min = 0, max = Infinity): string {
  if (typeof x !== "string") throw new Bad(path, "must be a string");
  if (x.length < min) throw new Bad(path, min === 1 ? "must not be empty" : `must be at least ${min} characters`);
  if (x.length > max) throw new Bad(path, `must be at most ${max} characters`);
  return x;
}

function bool(x: unknown, path: string): boolean {
  if (typeof x !== "boolean") throw new Bad(path, "must be true or false");
  return x;
}

function posInt(x: unknown, path: string): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x <= 0) throw new Bad(path, "must be a positive integer");
  return x;
}

function oneOf<T extends string>(x: unknown, path: string, values: readonly T[]): T {
  if (!values.includes(x as T)) throw new Bad(path, `must be one of ${values.join(", ")}`);
  return x as T;
}

/** Copies optional field `key` of `from` into `to` when present (undefined counts as absent), checked by `check`. */
function opt<T>(from: Rec, to: Rec, key: string, path: string, check: (x: unknown, path: string) => T): void {
  if (from[key] !== undefined) to[key] = check(from[key], `${path}${key}`);
}

function check(x: unknown, path: string): Check {
  if (!isRecord(x)) throw new Bad(path, "must be an object");
  const p = `${path}.`;
  const c: Rec = { type: oneOf(x.type, `${p}type`, CHECK_TYPES) };
  opt(x, c, "target", p, (v, at) => str(v, at));
  opt(x, c, "intervalMs", p, posInt);
  opt(x, c, "timeoutMs", p, posInt);
  opt(x, c, "initialStatus", p, (v, at) => oneOf(v, at, HEALTH));
  opt(x, c, "deregisterAfterMs", p, posInt);
  opt(x, c, "tlsSkipVerify", p, bool);
  return c as unknown as Check;
}

function list<T>(x: unknown, path: string, item: (x: unknown, path: string) => T): T[] {
  if (!Array.isArray(x)) throw new Bad(path, "must be a list");
  return x.map((v, n) => item(v, `${path}.${n}`));
}

function instance(x: unknown): Instance {
  if (!isRecord(x)) throw new Bad("instance", "must be an object");
  const id = str(x.id, "id", 1, MAX_ID_LENGTH);
  const name = str(x.name, "name");
  if (!DNS_LABEL.test(name)) throw new Bad("name", "must be a DNS label (1-63 letters, digits or '-', not starting or ending with '-')");
  const i: Rec = { id, name };
  i.address = str(x.address, "address", 1);
  const port = x.port;
  if (port !== null && (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)) throw new Bad("port", "must be an integer from 1 to 65535, or null");
  i.port = port;
  i.protocol = oneOf(x.protocol, "protocol", ["tcp", "udp"]);
  i.tags = list(x.tags, "tags", (v, at) => str(v, at, 0, MAX_TAG_LENGTH));
  if (!isRecord(x.meta)) throw new Bad("meta", "must be an object");
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(x.meta)) meta[k] = str(v, `meta.${k}`, 0, MAX_META_VALUE);
  if (Object.keys(meta).length > MAX_META_KEYS) throw new Bad("meta", `must have at most ${MAX_META_KEYS} keys`);
  i.meta = meta;
  i.checks = list(x.checks, "checks", check);
  i.health = oneOf(x.health, "health", HEALTH);
  i.owner = str(x.owner, "owner", 1);
  opt(x, i, "container", "", (v, at) => {
    if (!isRecord(v)) throw new Bad(at, "must be an object");
    return { id: str(v.id, `${at}.id`), name: str(v.name, `${at}.name`) };
  });
  opt(x, i, "enableTagOverride", "", bool);
  opt(x, i, "checkOutput", "", (v, at) => str(v, at, 0, MAX_CHECK_OUTPUT));
  opt(x, i, "registeredAt", "", (v, at) => str(v, at));
  return i as unknown as Instance;
}

function parsed<T>(read: () => T): Parsed<T> {
  try {
    return { ok: true, value: read() };
  } catch (err) {
    if (err instanceof Bad) return { ok: false, path: err.path, message: err.message };
    throw err;
  }
}

/** `raw` as an Instance (a copy holding only the model's fields), or its first problem. */
export function parseInstance(raw: unknown): Parsed<Instance> {
  return parsed(() => instance(raw));
}

/** `raw` as a list of checks (copies), or its first problem (path `checks.<n>.<field>`). */
export function parseChecks(raw: unknown): Parsed<Check[]> {
  return parsed(() => list(raw, "checks", check));
}

/**
 * Enough to find an entry again in any backend. With `owner`, the adapter removes or changes the entry only while
 * that owner holds it: an entry another owner holds is left alone.
 */
export type InstanceRef = Pick<Instance, "id" | "name"> & { owner?: string };

/** What a backend holds at one moment; `version` grows with every change seen. */
export interface CatalogSnapshot {
  version: number;
  instances: Instance[];
}

/** Only passing instances are answered by DNS and offered to templates. */
export function isPassing(i: Instance): boolean {
  return i.health === "passing";
}

/**
 * Untrusted text (labels, check output) made safe to publish and show: control characters but newline and tab
 * become U+FFFD, and at most `max` characters are kept (cut with "…" at the end). Escaping for HTML or JSON is the
 * writer's job; this bounds what there is to escape.
 */
export function boundText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\ufffd");
  return clean.length <= max ? clean : `${clean.slice(0, Math.max(0, max - 1))}…`;
}
