// Health checks from SERVICE_CHECK_* attributes (pure), following registrator's Consul adapter:
// one check per service, the first present of CHECK_HTTP, CHECK_HTTPS, CHECK_TTL, CHECK_TCP (registrator's
// order; its CHECK_CMD/CHECK_SCRIPT are never run by portolan and are ignored). HTTP/HTTPS/TCP checks get
// CHECK_INTERVAL (default 10s) and CHECK_TIMEOUT; every check gets CHECK_INITIAL_STATUS and
// CHECK_DEREGISTER_AFTER; HTTP/HTTPS also CHECK_TLS_SKIP_VERIFY (true/false/1/0). CHECK_TCP is a boolean too
// (false/0 = no check). Intervals and TTLs are at least 1 s (Consul's own minimum; a shorter TTL would have
// portolan heartbeat in a busy loop), every duration at most 365 days; a check path is a URL path without
// control characters or spaces. Unused CHECK_* keys are not validated. `--ttl` adds a ttl check on top.
import type { Check, Health } from "../core/model.js";
import { HealthSchema } from "../core/model.js";
import { parseDuration } from "../core/util.js";
import { CONTROL_CHARS } from "../core/validate.js";
import { joinHostPort } from "./address.js";
import { fail, ok, quote, type PortEntry, type Result } from "./metadata.js";

export const DEFAULT_CHECK_INTERVAL_MS = 10_000;
/** Shortest check interval and TTL portolan writes (Consul's minimum interval). */
export const MIN_CHECK_INTERVAL_MS = 1_000;
/** Longest duration of any check setting. */
export const MAX_CHECK_DURATION_MS = 365 * 24 * 3_600_000;

function durationOf(e: PortEntry | undefined, minMs = 1): Result<number | undefined> {
  if (!e) return ok(undefined);
  const ms = parseDuration(e.value);
  if (ms === undefined) return fail(e.key, `${quote(e.value)} is not a duration (use e.g. 10s, 1m30s, 250ms)`);
  if (ms <= 0) return fail(e.key, `duration ${quote(e.value)} must be greater than zero`);
  if (ms < minMs) return fail(e.key, `duration ${quote(e.value)} is below the minimum of ${minMs} ms`);
  if (ms > MAX_CHECK_DURATION_MS) return fail(e.key, `duration ${quote(e.value)} is above the maximum of 365 days`);
  return ok(ms);
}

function statusOf(e: PortEntry | undefined): Result<Health | undefined> {
  if (!e) return ok(undefined);
  const parsed = HealthSchema.safeParse(e.value.trim().toLowerCase());
  if (!parsed.success) return fail(e.key, `${quote(e.value)} is not one of passing, warning, critical`);
  return ok(parsed.data);
}

export function boolOf(e: PortEntry | undefined): Result<boolean | undefined> {
  if (!e) return ok(undefined);
  const v = e.value.trim().toLowerCase();
  if (v === "true" || v === "1") return ok(true);
  if (v === "false" || v === "0") return ok(false);
  return fail(e.key, `${quote(e.value)} is not a boolean (true, false, 1, 0)`);
}

function pathOf(e: PortEntry): Result<string> {
  const path = e.value.trim();
  if (!path.startsWith("/")) return fail(e.key, `check path ${quote(e.value)} must start with "/"`);
  if (CONTROL_CHARS.test(path) || /\s/.test(path)) return fail(e.key, `check path ${quote(e.value)} contains a control character or space`);
  return ok(path);
}

type Attrs = ReadonlyMap<string, PortEntry>;

/** The check's kind and target, without the shared settings. */
function baseCheck(attrs: Attrs, address: string, port: number): Result<Check | undefined> {
  const hostPort = joinHostPort(address, port);
  for (const scheme of ["http", "https"] as const) {
    const e = attrs.get(`check_${scheme}`);
    if (!e) continue;
    const path = pathOf(e);
    if (!path.ok) return path;
    return ok({ type: scheme, target: `${scheme}://${hostPort}${path.value}` });
  }
  const ttl = attrs.get("check_ttl");
  if (ttl) {
    const ms = durationOf(ttl, MIN_CHECK_INTERVAL_MS);
    if (!ms.ok) return ms;
    return ok({ type: "ttl", intervalMs: ms.value });
  }
  const tcp = boolOf(attrs.get("check_tcp"));
  if (!tcp.ok) return tcp;
  if (tcp.value) return ok({ type: "tcp", target: hostPort });
  return ok(undefined);
}

/** Applies interval/timeout/status/deregister/tls settings to a base check; the first bad key wins. */
function withSettings(base: Check, attrs: Attrs): Result<Check> {
  const check: Check = { ...base };
  const probing = base.type !== "ttl";
  if (probing) {
    const interval = durationOf(attrs.get("check_interval"), MIN_CHECK_INTERVAL_MS);
    if (!interval.ok) return interval;
    check.intervalMs = interval.value ?? DEFAULT_CHECK_INTERVAL_MS;
    const timeout = durationOf(attrs.get("check_timeout"));
    if (!timeout.ok) return timeout;
    if (timeout.value !== undefined) check.timeoutMs = timeout.value;
  }
  const status = statusOf(attrs.get("check_initial_status"));
  if (!status.ok) return status;
  if (status.value !== undefined) check.initialStatus = status.value;
  const deregister = durationOf(attrs.get("check_deregister_after"));
  if (!deregister.ok) return deregister;
  if (deregister.value !== undefined) check.deregisterAfterMs = deregister.value;
  if (base.type === "http" || base.type === "https") {
    const skip = boolOf(attrs.get("check_tls_skip_verify"));
    if (!skip.ok) return skip;
    if (skip.value !== undefined) check.tlsSkipVerify = skip.value;
  }
  return ok(check);
}

/** Every check of one service: the metadata check (if any), then the `--ttl` check (if set). */
export function buildChecks(attrs: Attrs, address: string, port: number, ttlMs: number | undefined): Result<Check[]> {
  const checks: Check[] = [];
  const base = baseCheck(attrs, address, port);
  if (!base.ok) return base;
  if (base.value) {
    const full = withSettings(base.value, attrs);
    if (!full.ok) return full;
    checks.push(full.value);
  }
  if (ttlMs !== undefined) {
    if (!Number.isInteger(ttlMs) || ttlMs < MIN_CHECK_INTERVAL_MS) return fail("--ttl", `${ttlMs} ms is below the minimum TTL of ${MIN_CHECK_INTERVAL_MS} ms`);
    checks.push({ type: "ttl", intervalMs: ttlMs });
  }
  return ok(checks);
}
