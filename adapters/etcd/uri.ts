// etcd://H1:P1[,H2:P2…][/PREFIX][?zone=service.consul&ttl=10s&lease=15s] (etcd+https:// for TLS) -> EtcdOptions.
// Credentials never come from the URI: ETCDCTL_USER/ETCDCTL_PASSWORD and ETCDCTL_CACERT/CERT/KEY (src/cli).
import { RegistryUriError } from "../../src/core/errors.js";
import { parseDuration } from "../../src/core/util.js";
import type { Endpoint } from "./gateway.js";
import { PREFIX, ZONE, MIN_LEASE_TTL_S, type EtcdOptions } from "./options.js";

const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i;
const KNOWN_PARAMS = ["zone", "ttl", "lease"];
export const ETCD_DEFAULT_PORT = 2379;
/** The longest TTL written (a year): DNS TTLs are 31-bit, and nobody wants a year. */
const MAX_TTL_S = 365 * 86_400;

export type EtcdUriOptions = Pick<EtcdOptions, "endpoints" | "secure" | "prefix" | "zone" | "ttlS" | "leaseTtlS">;

export function parseEtcdUri(uri: string): EtcdUriOptions {
  const fail = (message: string): never => {
    throw new RegistryUriError({ uri: uri.replace(/\/\/[^@/]*@/, "//[redacted]@"), message });
  };
  const scheme = /^(etcd|etcd\+http|etcd\+https):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (!scheme) return fail("expected etcd://H1:P1[,H2:P2…][/PREFIX][?zone=…] (etcd+https:// for TLS)");
  let rest = uri.slice(scheme.length + 3);
  if (rest.includes("#")) fail("a fragment (#) is not allowed");
  const q = rest.indexOf("?");
  const query = q === -1 ? "" : rest.slice(q + 1);
  rest = q === -1 ? rest : rest.slice(0, q);
  const slash = rest.indexOf("/");
  const hosts = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash);
  if (hosts.includes("@")) fail("credentials in the URI are not supported (ETCDCTL_USER, ETCDCTL_PASSWORD)");
  const opts: EtcdUriOptions = { endpoints: parseEndpoints(hosts, fail), secure: scheme === "etcd+https" };
  if (path !== "" && path !== "/") {
    let prefix = "";
    try {
      prefix = decodeURIComponent(path);
    } catch {
      fail(`prefix ${JSON.stringify(path)} is not valid percent-encoding`);
    }
    if (!PREFIX.test(prefix)) fail(`prefix ${JSON.stringify(prefix)} must be /SEGMENT[/SEGMENT…]: no empty, "." or ".." segments, no spaces, no trailing "/"`);
    opts.prefix = prefix;
  }
  const params = new Map<string, string>();
  for (const pair of query === "" ? [] : query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) fail(`query parameter ${JSON.stringify(pair)} must be KEY=VALUE`);
    const key = pair.slice(0, eq);
    if (!KNOWN_PARAMS.includes(key)) fail(`unknown query parameter ${JSON.stringify(key)} (known: ${KNOWN_PARAMS.join(", ")}; credentials go in ETCDCTL_* variables)`);
    if (params.has(key)) fail(`query parameter ${JSON.stringify(key)} given twice`);
    params.set(key, pair.slice(eq + 1));
  }
  const zone = params.get("zone");
  if (zone !== undefined) {
    const z = zone.toLowerCase().replace(/\.$/, "");
    if (!ZONE.test(z)) fail(`zone ${JSON.stringify(zone)} is not a DNS name like service.consul`);
    opts.zone = z;
  }
  const seconds = (name: string, min: number): number | undefined => {
    const text = params.get(name);
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined || ms % 1000 !== 0 || ms / 1000 < min || ms / 1000 > MAX_TTL_S) {
      return fail(`${name} ${JSON.stringify(text)} must be whole seconds from ${min}s to ${MAX_TTL_S}s, like 15s`);
    }
    return ms / 1000;
  };
  const ttlS = seconds("ttl", 1);
  if (ttlS !== undefined) opts.ttlS = ttlS;
  const leaseTtlS = seconds("lease", MIN_LEASE_TTL_S);
  if (leaseTtlS !== undefined) opts.leaseTtlS = leaseTtlS;
  return opts;
}

function parseEndpoints(list: string, fail: (m: string) => never): Endpoint[] {
  if (list === "") fail("no etcd endpoint given");
  const seen = new Set<string>();
  return list.split(",").map((server) => {
    if (server === "") fail("empty endpoint in the host list");
    let host: string;
    let portText: string | undefined;
    const v6 = /^\[([0-9a-f:.]+)\](?::(.*))?$/i.exec(server);
    if (v6) {
      host = v6[1]!;
      portText = v6[2];
    } else {
      const parts = server.split(":");
      if (parts.length > 2) fail(`endpoint ${JSON.stringify(server)} must be HOST[:PORT] (IPv6 in brackets)`);
      host = parts[0] ?? "";
      portText = parts[1];
      if (!HOST.test(host)) fail(`endpoint ${JSON.stringify(server)}: ${JSON.stringify(host)} is not a host name or IPv4 address`);
    }
    const port = portText === undefined ? ETCD_DEFAULT_PORT : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) fail(`endpoint ${JSON.stringify(server)}: port must be 1-65535`);
    if (seen.has(`${host}:${port}`)) fail(`endpoint ${JSON.stringify(server)} given twice`);
    seen.add(`${host}:${port}`);
    return { host, port };
  });
}
