// eureka://H1:P1[,H2:P2…][/PATH][?renew=30s&lease=90s&poll=10s] -> EurekaOptions (servers, path, timings).
import { RegistryUriError } from "../../src/core/errors.js";
import { durationParam, splitServerUri } from "../../src/core/server-uri.js";
import { DEFAULT_LEASE_MS, DEFAULT_PATH, DEFAULT_POLL_MS, DEFAULT_PORT, DEFAULT_RENEW_MS, timingProblem, type EurekaOptions, type EurekaServer } from "./options.js";

const SCHEME = "eureka://";
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i;
const IPV6 = /^\[([0-9a-f:.]+)\]$/i;
const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;
const PARAMS = { renew: "renewMs", lease: "leaseMs", poll: "pollMs" } as const;

export type EurekaUriOptions = Pick<EurekaOptions, "servers" | "path"> & Required<Pick<EurekaOptions, "renewMs" | "leaseMs" | "pollMs">>;

/** Parses a `eureka://` registry URI; throws RegistryUriError naming what is wrong. */
export function parseEurekaUri(uri: string): EurekaUriOptions {
  const fail = (message: string): never => {
    throw new RegistryUriError({ uri: uri.replace(/\/\/[^@/]*@/, "//[redacted]@"), message });
  };
  const parts = splitServerUri(uri, SCHEME, Object.keys(PARAMS), fail);
  const hostList = parts.hostList;
  let path = parts.path.replace(/\/$/, "");
  if (hostList.includes("@")) fail("credentials in the URI are not supported (basic auth: EUREKA_USERNAME, EUREKA_PASSWORD)");
  if (path === "") path = DEFAULT_PATH;
  else if (!PATH.test(path)) fail(`path ${JSON.stringify(path)} must be /SEGMENT[/SEGMENT…] of letters, digits, '.', '_', '~' or '-'`);
  const servers = parseServers(hostList, fail);

  const timings = { renewMs: DEFAULT_RENEW_MS, leaseMs: DEFAULT_LEASE_MS, pollMs: DEFAULT_POLL_MS };
  for (const [key, value] of parts.params) timings[PARAMS[key as keyof typeof PARAMS]] = durationParam(key, value, fail);
  // A shorter renewal without a lease of its own keeps Eureka's ratio (lease = 3 renewals).
  if (parts.params.has("renew") && !parts.params.has("lease")) timings.leaseMs = timings.renewMs * 3;
  const problem = timingProblem(timings);
  if (problem) fail(`${problem.option}: ${problem.message}`);
  return { servers, path, ...timings };
}

function parseServers(list: string, fail: (m: string) => never): EurekaServer[] {
  if (list === "") fail("no Eureka server given (eureka://HOST:PORT/PATH)");
  const servers = list.split(",").map((server): EurekaServer => {
    if (server === "") fail("empty server in the host list");
    const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(server);
    const [, hostPart = "", portText] = m ?? [];
    const v6 = IPV6.exec(hostPart)?.[1];
    if (v6 === undefined && !HOST.test(hostPart)) fail(`server ${JSON.stringify(server)}: ${JSON.stringify(hostPart)} is not a host name, IPv4 or [IPv6] address`);
    let port = DEFAULT_PORT;
    if (portText !== undefined) {
      port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
      if (!(port >= 1 && port <= 65535)) fail(`server ${JSON.stringify(server)}: port must be 1-65535`);
    }
    return { host: v6 ?? hostPart, port };
  });
  const keys = servers.map((s) => `${s.host}:${s.port}`);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) fail(`server ${twice} is listed twice`);
  return servers;
}
