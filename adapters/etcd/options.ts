// EtcdOptions (what the CLI reads from the URI and ETCDCTL_* variables), their defaults and their checks.
import type { Clock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";
import { EtcdOptionsError } from "./errors.js";
import type { Endpoint, GatewayTarget } from "./gateway.js";

export interface EtcdOptions {
  endpoints: Endpoint[];
  /** HTTPS to every endpoint (etcd+https://). */
  secure?: boolean;
  /** Key prefix CoreDNS's etcd plugin is given as `path`; default DEFAULT_PREFIX. */
  prefix?: string;
  /** DNS zone the names live in; default DEFAULT_ZONE (NAME.service.consul). */
  zone?: string;
  /** `ttl` of every record, seconds; default DEFAULT_TTL_S. */
  ttlS?: number;
  /** TTL of the registrator's lease, seconds; default DEFAULT_LEASE_TTL_S. */
  leaseTtlS?: number;
  /** Username/password auth (ETCDCTL_USER, ETCDCTL_PASSWORD); never logged nor put in an error message. */
  user?: string;
  password?: string;
  /** PEM text (ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY, read by the CLI). */
  ca?: string;
  cert?: string;
  key?: string;
  requestTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
}

export const DEFAULT_PREFIX = "/skydns";
export const DEFAULT_ZONE = "service.consul";
/** What CoreDNS serves as the records' TTL: a dead registrator's entries leave caches this long after etcd drops them. */
export const DEFAULT_TTL_S = 10;
/** A registrator that dies leaves its entries in etcd at most this long. */
export const DEFAULT_LEASE_TTL_S = 15;
/** Keep-alives go every third of the lease TTL: a shorter lease leaves them no time to retry. */
export const MIN_LEASE_TTL_S = 3;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** A prefix: "/" then non-empty segments without "." or "..", no trailing "/". */
export const PREFIX = /^(\/(?!\.\.?(\/|$))[^/\s]+)+$/;
export const ZONE = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

export interface ResolvedOptions {
  prefix: string;
  zone: string;
  ttlS: number;
  leaseTtlS: number;
  connection: GatewayTarget;
}

export function resolveOptions(o: EtcdOptions): ResolvedOptions {
  const fail = (option: string, message: string): never => {
    throw new EtcdOptionsError(option, message);
  };
  if (o.endpoints.length === 0) fail("endpoints", "at least one endpoint is needed");
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  if (!PREFIX.test(prefix)) fail("prefix", `${JSON.stringify(prefix)} is not a key prefix like /skydns`);
  const zone = (o.zone ?? DEFAULT_ZONE).toLowerCase();
  if (!ZONE.test(zone)) fail("zone", `${JSON.stringify(zone)} is not a DNS name like service.consul`);
  const ttlS = o.ttlS ?? DEFAULT_TTL_S;
  if (!Number.isInteger(ttlS) || ttlS < 1 || ttlS > 2 ** 31 - 1) fail("ttl", "must be a whole number of seconds >= 1");
  const leaseTtlS = o.leaseTtlS ?? DEFAULT_LEASE_TTL_S;
  if (!Number.isInteger(leaseTtlS) || leaseTtlS < MIN_LEASE_TTL_S || leaseTtlS > 2 ** 31 - 1) fail("lease", `must be a whole number of seconds >= ${MIN_LEASE_TTL_S}`);
  if ((o.cert === undefined) !== (o.key === undefined)) fail("cert/key", "a client certificate needs both cert and key");
  if ((o.user === undefined) !== (o.password === undefined)) fail("user/password", "username/password auth needs both");
  const connection: GatewayTarget = {
    endpoints: o.endpoints,
    secure: o.secure ?? false,
    requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    ...(o.ca !== undefined && { ca: o.ca }),
    ...(o.cert !== undefined && { cert: o.cert, key: o.key }),
    ...(o.user !== undefined && { user: { name: o.user, password: o.password ?? "" } }),
  };
  return { prefix, zone, ttlS, leaseTtlS, connection };
}
