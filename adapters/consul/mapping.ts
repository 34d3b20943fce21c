// Pure mapping between portolan's Instance and Consul's JSON (agent registration, agent and health views).
// No I/O here: every function is a case-table target of test/unit/consul-mapping.test.ts.
import { parseDuration } from "../../src/core/util.js";
import { boundText, CHECK_TYPES, MAX_CHECK_OUTPUT, parseInstance, type Check, type Health, type Instance } from "../../src/core/model.js";
import type { ConsulCheckDefinition, ConsulCheckState, ConsulService, ConsulServiceRegistration } from "./types.js";

/** Meta keys portolan writes; instance meta may not use the prefix. */
export const META = {
  owner: "portolan_owner",
  protocol: "portolan_protocol",
  containerId: "portolan_container_id",
  containerName: "portolan_container_name",
  /** `portolan_check_<n>`: check n of the instance, whole (see encodeCheck). */
  checkPrefix: "portolan_check_",
} as const;
export const RESERVED_META_PREFIXES = ["portolan_", "consul-"] as const;

/** Consul's own limits (agent/structs ValidateServiceMetadata). */
export const META_KEY_RE = /^[A-Za-z0-9_-]+$/;
export const META_MAX_PAIRS = 64;
export const META_KEY_MAX_LENGTH = 128;
export const META_VALUE_MAX_LENGTH = 512;

/** Interval sent when a http/https/tcp check has none (same default as gliderlabs/registrator). */
export const DEFAULT_CHECK_INTERVAL_MS = 10_000;

export const HEALTH_CHECK_NAME = "Docker health";

export interface MappingOptions {
  /** TTL of the `portolan:<id>:health` check. */
  healthTtlMs: number;
}

/** Every check portolan registers has an ID starting with this. */
const CHECK_ID_PREFIX = "portolan:";

export function healthCheckId(serviceId: string): string {
  return `${CHECK_ID_PREFIX}${serviceId}:health`;
}

export function userCheckId(serviceId: string, index: number): string {
  return `${CHECK_ID_PREFIX}${serviceId}:check-${index}`;
}

/** Go duration text Consul accepts, in the largest exact unit ("10s", "2m", "1500ms"). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Worst status wins: critical > warning > passing. Unknown statuses (e.g. "maintenance") count as critical. */
export function aggregateHealth(statuses: readonly string[]): Health {
  let worst: Health = "passing";
  for (const s of statuses) {
    if (s === "passing") continue;
    if (s === "warning") worst = worst === "critical" ? "critical" : "warning";
    else return "critical";
  }
  return worst;
}

// ---- checks kept in Meta ----
// Consul hands back a check's type, interval and timeout but not its target (Definition is empty in
// /v1/agent/checks and /v1/health/*), nor its initial status, deregister-after or TLS flag. So each check is
// also written, whole, into its own meta key `portolan_check_<n>`; listOwned() reads them back exactly.

/** Check fields with their short key (to stay well under Consul's 512-character meta values) and a guard. */
const CHECK_FIELDS: readonly [Exclude<keyof Check, "type">, string, (v: unknown) => boolean][] = [
  ["target", "u", (v) => typeof v === "string"],
  ["intervalMs", "i", (v) => typeof v === "number"],
  ["timeoutMs", "o", (v) => typeof v === "number"],
  ["initialStatus", "s", (v) => v === "passing" || v === "warning" || v === "critical"],
  ["deregisterAfterMs", "d", (v) => typeof v === "number"],
  ["tlsSkipVerify", "k", (v) => typeof v === "boolean"],
];

export function checkMetaKey(index: number): string {
  return `${META.checkPrefix}${index}`;
}

export function encodeCheck(c: Check): string {
  const r: Record<string, unknown> = { t: c.type };
  for (const [field, short] of CHECK_FIELDS) if (c[field] !== undefined) r[short] = c[field];
  return JSON.stringify(r);
}

/** Undefined when the text is not what encodeCheck wrote (the caller then sees drift and re-registers). */
export function decodeCheck(text: string): Check | undefined {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof r !== "object" || r === null || Array.isArray(r)) return undefined;
  const rec = r as Record<string, unknown>;
  if (typeof rec.t !== "string" || !(CHECK_TYPES as readonly string[]).includes(rec.t)) return undefined;
  const c: Record<string, unknown> = { type: rec.t };
  for (const [field, short, ok] of CHECK_FIELDS) if (ok(rec[short])) c[field] = rec[short];
  return c as unknown as Check;
}

// ---- Instance -> registration ----

/** Why Consul would refuse part of an instance: the field at fault (`meta.version`, `checks.0`, `id`) and the reason. */
export interface ConsulProblem {
  key: string;
  reason: string;
}

/** Consul reaps critical services at most this often (DeregisterCriticalServiceAfter is raised to it). */
export const DEREGISTER_MIN_MS = 60_000;
/** The longest duration Consul can parse: a Go time.Duration is int64 nanoseconds (about 292 years). */
export const CHECK_MAX_DURATION_MS = 9_223_372_036_854;

function checkProblems(c: Check, n: number): ConsulProblem[] {
  const p: ConsulProblem[] = [];
  const key = `checks.${n}`;
  if (c.type === "ttl") {
    if (c.intervalMs === undefined) p.push({ key, reason: `check ${n}: ttl check needs intervalMs (its TTL)` });
    if (c.target !== undefined) p.push({ key, reason: `check ${n}: ttl check takes no target` });
    if (c.timeoutMs !== undefined || c.tlsSkipVerify !== undefined) p.push({ key, reason: `check ${n}: ttl check takes no timeout/tlsSkipVerify` });
  } else {
    if (!c.target) p.push({ key, reason: `check ${n}: ${c.type} check needs a target` });
    if (c.type === "tcp" && c.tlsSkipVerify !== undefined) p.push({ key, reason: `check ${n}: tcp check takes no tlsSkipVerify` });
  }
  const durations: Array<[string, number | undefined, number]> = [
    [c.type === "ttl" ? "TTL" : "interval", c.intervalMs, 1],
    ["timeout", c.timeoutMs, 1],
    ["deregister-after", c.deregisterAfterMs, DEREGISTER_MIN_MS],
  ];
  for (const [what, ms, min] of durations) {
    if (ms === undefined) continue;
    if (ms < min) p.push({ key, reason: `check ${n}: ${what} ${ms} ms is below Consul's minimum of ${min} ms` });
    if (ms > CHECK_MAX_DURATION_MS) p.push({ key, reason: `check ${n}: ${what} ${ms} ms is above the maximum of ${CHECK_MAX_DURATION_MS} ms` });
  }
  return p;
}

/**
 * What Consul's HTTP server answers 400 for in a URL path, whatever the route: a character that is not printable
 * in Go's sense (letters, marks, numbers, punctuation, symbols, ASCII space) — zero-width and bidi controls,
 * non-ASCII spaces, soft hyphen, private-use and unassigned code points.
 */
const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/**
 * Consul puts the service ID into URL paths (deregister, service read): "." and ".." are resolved away by the
 * agent's router (HTTP 307 to another path, so the entry could never be removed), "/" "?" "#" "%" "\\" and spaces
 * change the path, and NOT_PRINTABLE characters are refused (HTTP 400, which made the registrator retry such a
 * container forever). Such IDs are refused before anything is written.
 */
export function idProblem(id: string): ConsulProblem | undefined {
  if (id === "." || id === "..") return { key: "id", reason: `ID ${JSON.stringify(id)} is a relative path component Consul cannot address` };
  if (/[/?#%\\\s]/.test(id)) return { key: "id", reason: `ID ${JSON.stringify(id)} contains a character Consul cannot address in a URL path (/ ? # % \\ or space)` };
  const unprintable = NOT_PRINTABLE.exec(id)?.[0];
  if (unprintable !== undefined) {
    const code = `U+${unprintable.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    return { key: "id", reason: `ID ${JSON.stringify(id)} contains ${code}, which Consul's HTTP API refuses in a URL path (not printable)` };
  }
  return undefined;
}

/**
 * One user check as Consul's check definition. A TTL check starts with the instance's health (Consul would start
 * it critical, and the registrator's first heartbeat comes half a TTL later: a healthy instance missing from
 * health answers that long), unless SERVICE_CHECK_INITIAL_STATUS says otherwise.
 */
function toCheckDefinition(serviceId: string, c: Check, n: number, health: Health): ConsulCheckDefinition {
  const d: ConsulCheckDefinition = { CheckID: userCheckId(serviceId, n), Name: `${c.type.toUpperCase()} check ${n}` };
  if (c.type === "ttl") {
    d.TTL = formatDuration(c.intervalMs ?? DEFAULT_CHECK_INTERVAL_MS);
  } else {
    if (c.type === "tcp") d.TCP = c.target;
    else d.HTTP = c.target;
    d.Interval = formatDuration(c.intervalMs ?? DEFAULT_CHECK_INTERVAL_MS);
    if (c.timeoutMs !== undefined) d.Timeout = formatDuration(c.timeoutMs);
    if (c.tlsSkipVerify !== undefined) d.TLSSkipVerify = c.tlsSkipVerify;
  }
  const status = c.initialStatus ?? (c.type === "ttl" ? health : undefined);
  if (status !== undefined) d.Status = status;
  if (c.deregisterAfterMs !== undefined) d.DeregisterCriticalServiceAfter = formatDuration(c.deregisterAfterMs);
  return d;
}

/** The field of an instance a meta key of the registration comes from. */
function fieldOf(k: string): string {
  if (k.startsWith(META.checkPrefix)) return `checks.${k.slice(META.checkPrefix.length)}`;
  if (k === META.containerId) return "container.id";
  if (k === META.containerName) return "container.name";
  if (k === META.owner) return "owner";
  return `meta.${k}`;
}

export function metaProblems(meta: Record<string, string>): ConsulProblem[] {
  const p: ConsulProblem[] = [];
  for (const [k, v] of Object.entries(meta)) {
    const key = fieldOf(k);
    if (!META_KEY_RE.test(k)) p.push({ key, reason: `meta key ${JSON.stringify(k)}: only letters, digits, "_" and "-" are allowed` });
    if (k.length > META_KEY_MAX_LENGTH) p.push({ key, reason: `meta key ${JSON.stringify(k)}: longer than ${META_KEY_MAX_LENGTH} characters` });
    if (v.length > META_VALUE_MAX_LENGTH) p.push({ key, reason: `meta key ${JSON.stringify(k)}: value longer than ${META_VALUE_MAX_LENGTH} characters` });
  }
  const n = Object.keys(meta).length;
  if (n > META_MAX_PAIRS) p.push({ key: "meta", reason: `${n} meta keys (including portolan's own); Consul allows ${META_MAX_PAIRS}` });
  return p;
}

/**
 * The body of PUT /v1/agent/service/register, or the list of reasons Consul would refuse it.
 * Nothing is sanitised silently: a rewritten key would not round-trip through listOwned().
 */
export function toRegistration(
  instance: Instance,
  opts: MappingOptions,
): { ok: true; registration: ConsulServiceRegistration } | { ok: false; problems: ConsulProblem[] } {
  const problems: ConsulProblem[] = [];
  const bad = idProblem(instance.id);
  if (bad) problems.push(bad);
  for (const k of Object.keys(instance.meta)) {
    const prefix = RESERVED_META_PREFIXES.find((p) => k.toLowerCase().startsWith(p));
    if (prefix) problems.push({ key: `meta.${k}`, reason: `meta key ${JSON.stringify(k)}: prefix ${JSON.stringify(prefix)} is reserved` });
  }
  instance.checks.forEach((c, n) => problems.push(...checkProblems(c, n)));
  const meta: Record<string, string> = {
    ...instance.meta,
    [META.owner]: instance.owner,
    [META.protocol]: instance.protocol,
  };
  instance.checks.forEach((c, n) => (meta[checkMetaKey(n)] = encodeCheck(c)));
  if (instance.container) {
    meta[META.containerId] = instance.container.id;
    meta[META.containerName] = instance.container.name;
  }
  problems.push(...metaProblems(meta));
  if (problems.length > 0) return { ok: false, problems };

  const checks = instance.checks.map((c, n) => toCheckDefinition(instance.id, c, n, instance.health));
  checks.push({
    CheckID: healthCheckId(instance.id),
    Name: HEALTH_CHECK_NAME,
    Notes: "Docker HEALTHCHECK status relayed by portolan; goes critical when portolan stops refreshing it.",
    TTL: formatDuration(opts.healthTtlMs),
    Status: instance.health,
  });
  return {
    ok: true,
    registration: {
      ID: instance.id,
      Name: instance.name,
      Address: instance.address,
      Port: instance.port ?? 0,
      Tags: [...instance.tags],
      Meta: meta,
      Checks: checks,
      ...(instance.enableTagOverride === true ? { EnableTagOverride: true } : {}),
    },
  };
}

// ---- Consul views -> Instance ----

/** Checks of a portolan-registered service: as written in Meta, for those Consul still runs with that type. */
function ownedChecks(service: ConsulService, states: ReadonlyMap<string, ConsulCheckState>): Check[] {
  const meta = service.Meta ?? {};
  const out: Check[] = [];
  for (let n = 0; meta[checkMetaKey(n)] !== undefined; n++) {
    const c = decodeCheck(meta[checkMetaKey(n)]!);
    const state = states.get(userCheckId(service.ID, n));
    // Gone from Consul or rewritten behind our back: drift, the registrator will re-register.
    if (c && state && (state.Type === undefined || state.Type === consulCheckType(c))) out.push(c);
  }
  return out;
}

function consulCheckType(c: Check): string {
  return c.type === "https" ? "http" : c.type;
}

/** Checks of a service portolan did not register: best effort from Consul's check definitions. */
function foreignChecks(states: readonly ConsulCheckState[]): Check[] {
  const out: Check[] = [];
  for (const s of states) {
    // Consul does not return targets (Definition is empty); type, interval and timeout it does.
    const interval = s.Interval ? parseDuration(s.Interval) : undefined;
    const timeout = s.Timeout ? parseDuration(s.Timeout) : undefined;
    let c: Check | undefined;
    if (s.Type === "http" || s.Type === "tcp" || s.Type === "ttl") c = { type: s.Type };
    if (!c) continue;
    if (interval) c.intervalMs = interval;
    if (timeout) c.timeoutMs = timeout;
    out.push(c);
  }
  return out;
}

function stripReserved(meta: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (!k.startsWith("portolan_")) out[k] = v;
  return out;
}

/** Up to this many owned services, listOwned's checks read names each one (a longer filter: every portolan check). */
const MAX_IDS_IN_FILTER = 64;

/**
 * Consul filter expressions (?filter=) for listOwned: the services `owner` registered (portolan_owner meta) and the
 * checks of `ids` (those services), or of every check portolan registered when there are many, so the agent sends
 * only those.
 */
export function ownedFilters(owner: string, ids: readonly string[] = []): { services: string; checks: string } {
  const checks =
    ids.length > 0 && ids.length <= MAX_IDS_IN_FILTER
      ? ids.map((id) => `ServiceID == ${JSON.stringify(id)}`).join(" or ")
      : `CheckID matches ${JSON.stringify(`^${CHECK_ID_PREFIX}`)}`;
  return { services: `Meta.${META.owner} == ${JSON.stringify(owner)}`, checks };
}

export function isOwnedBy(service: ConsulService, owner: string): boolean {
  return service.Meta?.[META.owner] === owner;
}

/**
 * An Instance from Consul's view of a service and its checks.
 * `health: "ttl"` takes the health from portolan's TTL check (listOwned: must equal what register() got);
 * `health: "aggregate"` is the worst of all checks including node checks (watch: what clients see).
 */
export function toInstance(
  service: ConsulService,
  checks: readonly ConsulCheckState[],
  ctx: { nodeName: string; nodeAddress?: string; health: "ttl" | "aggregate" },
): Instance {
  const meta = service.Meta ?? {};
  const owned = meta[META.owner] !== undefined && meta[META.owner] !== "";
  const own = checks.filter((c) => c.ServiceID === service.ID);
  const states = new Map(own.map((c) => [c.CheckID, c]));
  let health: Health;
  if (ctx.health === "ttl") {
    const s = states.get(healthCheckId(service.ID))?.Status;
    health = s === "passing" || s === "warning" ? s : "critical";
  } else {
    health = aggregateHealth(checks.map((c) => c.Status));
  }
  const instance: Instance = {
    id: service.ID,
    name: service.Service,
    address: service.Address || ctx.nodeAddress || "",
    port: service.Port > 0 ? service.Port : null,
    protocol: owned && meta[META.protocol] === "udp" ? "udp" : "tcp",
    tags: [...(service.Tags ?? [])],
    meta: owned ? stripReserved(meta) : { ...meta },
    checks: owned ? ownedChecks(service, states) : foreignChecks(own.filter((c) => !c.CheckID.startsWith("_"))),
    health,
    owner: owned ? meta[META.owner]! : ctx.nodeName,
  };
  if (ctx.health === "aggregate") {
    const output = checkOutput(checks);
    if (output !== undefined) instance.checkOutput = output;
  }
  const cid = meta[META.containerId];
  const cname = meta[META.containerName];
  if (owned && cid !== undefined && cname !== undefined) instance.container = { id: cid, name: cname };
  if (owned && service.EnableTagOverride === true) instance.enableTagOverride = true;
  return instance;
}

const SEVERITY: Record<string, number> = { critical: 0, warning: 1, passing: 2 };

/**
 * The checks' Output (each "NAME: OUTPUT", worst status first; a node check only while it is not passing: it then
 * decides the health), bounded to MAX_CHECK_OUTPUT without control characters; undefined when no check has any.
 */
export function checkOutput(checks: readonly ConsulCheckState[]): string | undefined {
  const lines = [...checks]
    .filter((c) => (c.Output ?? "").trim() !== "" && (c.ServiceID !== "" || c.Status !== "passing"))
    .sort((a, b) => (SEVERITY[a.Status] ?? 0) - (SEVERITY[b.Status] ?? 0))
    .map((c) => `${c.Name || c.CheckID}: ${c.Output!.trim()}`);
  return lines.length === 0 ? undefined : boundText(lines.join("\n"), MAX_CHECK_OUTPUT);
}

/** Entries other tools registered may not fit the model (names that are no DNS label, ports over 65535): leave them out. */
export function isValidInstance(i: Instance): boolean {
  return parseInstance(i).ok;
}
