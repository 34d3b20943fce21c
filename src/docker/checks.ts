// Health checks from SERVICE_CHECK_* attributes (pure). Every declared check is registered, in the order http,
// https, tcp, ttl, then the `--ttl` check: at most five per service. (registrator's Consul adapter kept only the
// first of CHECK_HTTP, CHECK_HTTPS, CHECK_TTL, CHECK_TCP; Consul holds several per service, and a check dropped in
// silence is a health signal lost.) registrator's CHECK_CMD/CHECK_SCRIPT are never run by portolan and are ignored.
// HTTP/HTTPS/TCP checks get CHECK_INTERVAL (default 10s) and CHECK_TIMEOUT; every declared check gets
// CHECK_INITIAL_STATUS and CHECK_DEREGISTER_AFTER; HTTP/HTTPS also CHECK_TLS_SKIP_VERIFY (true/false/1/0).
// CHECK_TCP is a boolean too (false/0 = no check). Intervals and TTLs are at least 1 s (Consul's own minimum; a
// shorter TTL would have portolan heartbeat in a busy loop), every duration at most 365 days; a check path is a
// URL path without control characters or spaces. CHECK_* settings no declared check uses are not validated.
import type { Check, Health } from "../core/model.js";
import { isHealth } from "../core/model.js";
import { parseDuration } from "../core/util.js";
import { CONTROL_CHARS } from "../core/validate.js";
import { joinHostPort } from "../core/host-port.js";
import type { PortEntry } from "./metadata.js";
import { MetadataRefusal, quote } from "./refusal.js";

export const DEFAULT_CHECK_INTERVAL_MS = 10_000;
/** Shortest check interval and TTL portolan writes (Consul's minimum interval). */
export const MIN_CHECK_INTERVAL_MS = 1_000;
/** Longest duration of any check setting. */
export const MAX_CHECK_DURATION_MS = 365 * 24 * 3_600_000;

function durationOf(e: PortEntry | undefined, minMs = 1): number | undefined {
  if (!e) return undefined;
  const ms = parseDuration(e.value);
  if (ms === undefined) throw new MetadataRefusal(e.key, `${quote(e.value)} is not a duration (use e.g. 10s, 1m30s, 250ms)`);
  if (ms <= 0) throw new MetadataRefusal(e.key, `duration ${quote(e.value)} must be greater than zero`);
  if (ms < minMs) throw new MetadataRefusal(e.key, `duration ${quote(e.value)} is below the minimum of ${minMs} ms`);
  if (ms > MAX_CHECK_DURATION_MS) throw new MetadataRefusal(e.key, `duration ${quote(e.value)} is above the maximum of 365 days`);
  return ms;
}

function statusOf(e: PortEntry | undefined): Health | undefined {
  if (!e) return undefined;
  const status = e.value.trim().toLowerCase();
  if (!isHealth(status)) throw new MetadataRefusal(e.key, `${quote(e.value)} is not one of passing, warning, critical`);
  return status;
}

export function boolOf(e: PortEntry | undefined): boolean | undefined {
  if (!e) return undefined;
  const v = e.value.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new MetadataRefusal(e.key, `${quote(e.value)} is not a boolean (true, false, 1, 0)`);
}

function pathOf(e: PortEntry): string {
  const path = e.value.trim();
  if (!path.startsWith("/")) throw new MetadataRefusal(e.key, `check path ${quote(e.value)} must start with "/"`);
  if (CONTROL_CHARS.test(path) || /\s/.test(path)) throw new MetadataRefusal(e.key, `check path ${quote(e.value)} contains a control character or space`);
  return path;
}

type Attrs = ReadonlyMap<string, PortEntry>;

/** A check and the key that declared it (`SERVICE_80_CHECK_TCP`, `--ttl`), for log lines about it. */
export interface DeclaredCheck {
  check: Check;
  key: string;
}

/** The kind and target of every check the attributes declare (http, https, tcp, ttl), without the shared settings. */
function baseChecks(attrs: Attrs, address: string, port: number | null): DeclaredCheck[] {
  const hostPort = joinHostPort(address, port);
  const out: DeclaredCheck[] = [];
  const noPort = (e: PortEntry) => new MetadataRefusal(e.key, "the service has no port to probe: set SERVICE_PORT, or use SERVICE_CHECK_TTL");
  for (const scheme of ["http", "https"] as const) {
    const e = attrs.get(`check_${scheme}`);
    if (!e) continue;
    if (port === null) throw noPort(e);
    out.push({ check: { type: scheme, target: `${scheme}://${hostPort}${pathOf(e)}` }, key: e.key });
  }
  const tcp = attrs.get("check_tcp");
  const tcpOn = boolOf(tcp);
  if (tcp && tcpOn && port === null) throw noPort(tcp);
  if (tcp && tcpOn) out.push({ check: { type: "tcp", target: hostPort }, key: tcp.key });
  const ttl = attrs.get("check_ttl");
  if (ttl) {
    out.push({ check: { type: "ttl", intervalMs: durationOf(ttl, MIN_CHECK_INTERVAL_MS) }, key: ttl.key });
  }
  return out;
}

/** The CHECK_* settings shared by the declared checks; each is validated only when a check uses it. */
function withSettings(declared: readonly DeclaredCheck[], attrs: Attrs): DeclaredCheck[] {
  const probing = declared.some((d) => d.check.type !== "ttl");
  const web = declared.some((d) => d.check.type === "http" || d.check.type === "https");
  const interval = probing ? durationOf(attrs.get("check_interval"), MIN_CHECK_INTERVAL_MS) : undefined;
  const timeout = probing ? durationOf(attrs.get("check_timeout")) : undefined;
  const status = statusOf(attrs.get("check_initial_status"));
  const deregister = durationOf(attrs.get("check_deregister_after"));
  const skip = web ? boolOf(attrs.get("check_tls_skip_verify")) : undefined;
  return declared.map(({ check: base, key }) => {
      const check: Check = { ...base };
      if (base.type !== "ttl") {
        check.intervalMs = interval ?? DEFAULT_CHECK_INTERVAL_MS;
        if (timeout !== undefined) check.timeoutMs = timeout;
      }
      if (status !== undefined) check.initialStatus = status;
      if (deregister !== undefined) check.deregisterAfterMs = deregister;
      if ((base.type === "http" || base.type === "https") && skip !== undefined) check.tlsSkipVerify = skip;
      return { check, key };
    });
}

/**
 * Every check of one service with the key that declared it: each declared metadata check (http, https, tcp, ttl),
 * then the `--ttl` check (if set). So at most five per service, whatever the container declares.
 */
export function buildChecks(attrs: Attrs, address: string, port: number | null, ttlMs: number | undefined): DeclaredCheck[] {
  const base = baseChecks(attrs, address, port);
  const checks = base.length > 0 ? withSettings(base, attrs) : [];
  if (ttlMs !== undefined) {
    if (!Number.isInteger(ttlMs) || ttlMs < MIN_CHECK_INTERVAL_MS) throw new MetadataRefusal("--ttl", `${ttlMs} ms is below the minimum TTL of ${MIN_CHECK_INTERVAL_MS} ms`);
    checks.push({ check: { type: "ttl", intervalMs: ttlMs }, key: "--ttl" });
  }
  return checks;
}
