// zk://H1:P1,H2:P2,H3:P3/CHROOT?format=curator|nerve&payload=none|spring&sessionTimeout=15s -> ZooKeeperOptions.
import { RegistryUriError } from "../../src/core/errors.js";
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from "../../src/core/util.js";
import type { ZooKeeperFormat, ZooKeeperOptions, ZooKeeperPayload } from "./options.js";
import { isZnodePath } from "./paths.js";

const SCHEME = "zk://";
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i;
const KNOWN_PARAMS = new Set(["format", "payload", "sessionTimeout"]);

/** Parses a `zk://` registry URI; throws RegistryUriError naming what is wrong. An empty or "/" path keeps the format's default base. */
export function parseZooKeeperUri(uri: string): ZooKeeperOptions {
  const fail = (message: string): never => {
    throw new RegistryUriError({ uri, message });
  };
  if (uri.slice(0, SCHEME.length).toLowerCase() !== SCHEME) fail(`scheme must be ${SCHEME}`);
  let rest = uri.slice(SCHEME.length);
  if (rest.includes("#")) fail("a fragment (#) is not allowed");
  const q = rest.indexOf("?");
  const query = q === -1 ? "" : rest.slice(q + 1);
  rest = q === -1 ? rest : rest.slice(0, q);
  const slash = rest.indexOf("/");
  const hostList = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash);

  const connect = parseHosts(hostList, fail);
  const params = parseQuery(query, fail);

  const format = (params.get("format") ?? "curator") as ZooKeeperFormat;
  if (format !== "curator" && format !== "nerve") fail(`format must be curator or nerve, not ${JSON.stringify(format)}`);
  const payload = (params.get("payload") ?? "none") as ZooKeeperPayload;
  if (payload !== "none" && payload !== "spring") fail(`payload must be none or spring, not ${JSON.stringify(payload)}`);
  if (format === "nerve" && params.has("payload")) fail("payload conflicts with format=nerve (only curator has payloads)");

  const opts: ZooKeeperOptions = { connect, format, payload };
  if (path !== "" && path !== "/") {
    let chroot: string;
    try {
      chroot = decodeURIComponent(path);
    } catch {
      return fail(`chroot ${JSON.stringify(path)} is not valid percent-encoding`);
    }
    if (!isZnodePath(chroot)) fail(`chroot ${JSON.stringify(chroot)} is not a znode path (no empty, "." or ".." segments, no trailing "/")`);
    opts.chroot = chroot;
  }
  const st = params.get("sessionTimeout");
  if (st !== undefined) {
    const ms = parseDuration(st);
    if (ms === undefined || ms <= 0) fail(`sessionTimeout ${JSON.stringify(st)} is not a positive duration like 15s`);
    else if (ms > MAX_DURATION_MS) fail(`sessionTimeout ${JSON.stringify(st)} is longer than the maximum ${MAX_DURATION_TEXT}`);
    opts.sessionTimeoutMs = ms;
  }
  return opts;
}

function parseHosts(list: string, fail: (m: string) => never): string {
  if (list === "") fail("no ZooKeeper server given");
  if (list.includes("@")) fail("user info (user@) is not supported");
  return list
    .split(",")
    .map((server) => {
      if (server === "") fail("empty server in the host list");
      if (server.startsWith("[")) fail(`server ${JSON.stringify(server)}: IPv6 literals are not supported by the ZooKeeper client`);
      const parts = server.split(":");
      if (parts.length > 2) fail(`server ${JSON.stringify(server)} must be HOST or HOST:PORT`);
      const [host = "", portText] = parts;
      if (!HOST.test(host)) fail(`server ${JSON.stringify(server)}: ${JSON.stringify(host)} is not a host name or IPv4 address`);
      if (portText === undefined) return `${host}:2181`;
      const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
      if (!(port >= 1 && port <= 65535)) fail(`server ${JSON.stringify(server)}: port must be 1-65535`);
      return `${host}:${port}`;
    })
    .join(",");
}

function parseQuery(query: string, fail: (m: string) => never): Map<string, string> {
  const params = new Map<string, string>();
  if (query === "") return params;
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) fail(`query parameter ${JSON.stringify(pair)} must be KEY=VALUE`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!KNOWN_PARAMS.has(key)) fail(`unknown query parameter ${JSON.stringify(key)} (known: ${[...KNOWN_PARAMS].join(", ")})`);
    if (params.has(key)) fail(`query parameter ${JSON.stringify(key)} given twice`);
    params.set(key, value);
  }
  return params;
}
