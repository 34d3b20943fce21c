// Options of the DNS shim: named defaults and one parser that merges them and rejects bad values.
import { UsageError } from "../core/errors.js";
import type { HostPort } from "../core/host-port.js";
import { DNS_LABEL } from "../core/model.js";

export const DEFAULT_DNS_PORT = 8600;
export const DEFAULT_LISTEN = `127.0.0.1:${DEFAULT_DNS_PORT}`;
export const DEFAULT_DOMAIN = "consul";
export const DEFAULT_DATACENTER = "dc1";
/** How long a forwarded query may wait for each recursor before the next one (then SERVFAIL). */
export const DEFAULT_RECURSOR_TIMEOUT_MS = 2000;
/** A TCP connection with no complete query for this long is closed (RFC 7766 suggests seconds). */
export const DEFAULT_TCP_IDLE_MS = 10_000;
export const DEFAULT_MAX_TCP_CONNECTIONS = 512;
/** Encoded answers kept per snapshot version. */
export const DEFAULT_CACHE_ENTRIES = 20_000;
/** Pre-shuffled orders of each cached answer. */
export const DEFAULT_SHUFFLES = 8;
/** Forwarded queries in flight; more get SERVFAIL at once. */
export const DEFAULT_MAX_FORWARDS = 1024;

export interface TtlRule {
  /** Lower-case service name, or a prefix when `prefix` is set ("web*" -> "web"). */
  match: string;
  prefix: boolean;
  ttlS: number;
}

export type { HostPort };

export interface DnsOptions {
  listen: HostPort;
  domain: string;
  datacenter: string;
  /** Default TTL of every record, seconds. */
  ttlS: number;
  serviceTtl: TtlRule[];
  includeWarning: boolean;
  recursors: HostPort[];
  recursorTimeoutMs: number;
  tcpIdleMs: number;
  maxTcpConnections: number;
  cacheEntries: number;
  shuffles: number;
  maxForwards: number;
}

export const DEFAULT_DNS_OPTIONS: DnsOptions = {
  listen: { host: "127.0.0.1", port: DEFAULT_DNS_PORT },
  domain: DEFAULT_DOMAIN,
  datacenter: DEFAULT_DATACENTER,
  ttlS: 0,
  serviceTtl: [],
  includeWarning: false,
  recursors: [],
  recursorTimeoutMs: DEFAULT_RECURSOR_TIMEOUT_MS,
  tcpIdleMs: DEFAULT_TCP_IDLE_MS,
  maxTcpConnections: DEFAULT_MAX_TCP_CONNECTIONS,
  cacheEntries: DEFAULT_CACHE_ENTRIES,
  shuffles: DEFAULT_SHUFFLES,
  maxForwards: DEFAULT_MAX_FORWARDS,
};

/** Merges `over` into the defaults; domain and datacenter are lower-cased and checked. */
export function dnsOptions(over: Partial<DnsOptions> = {}): DnsOptions {
  const o = { ...DEFAULT_DNS_OPTIONS, ...over };
  const domain = o.domain.toLowerCase().replace(/^\.+|\.+$/g, "");
  if (domain === "" || !domain.split(".").every((l) => DNS_LABEL.test(l))) throw new UsageError(`--domain: ${JSON.stringify(o.domain)} is not a DNS name`);
  const datacenter = o.datacenter.toLowerCase();
  if (!DNS_LABEL.test(datacenter)) throw new UsageError(`--datacenter: ${JSON.stringify(o.datacenter)} is not a DNS label`);
  if (!Number.isInteger(o.ttlS) || o.ttlS < 0 || o.ttlS > 2 ** 31 - 1) throw new UsageError(`--ttl: ${o.ttlS} s is out of range`);
  return { ...o, domain, datacenter };
}

/** TTL for a service: an exact rule, else the longest matching prefix rule ("*" matches all), else the default. */
export function serviceTtl(service: string, opts: Pick<DnsOptions, "ttlS" | "serviceTtl">): number {
  let best: TtlRule | undefined;
  for (const r of opts.serviceTtl) {
    if (!r.prefix) {
      if (r.match === service) return r.ttlS;
    } else if (service.startsWith(r.match) && (!best || r.match.length > best.match.length)) {
      best = r;
    }
  }
  return best ? best.ttlS : opts.ttlS;
}
