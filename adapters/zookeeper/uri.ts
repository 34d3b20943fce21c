// zk://H1:P1,H2:P2,H3:P3/CHROOT?format=curator|nerve&payload=none|spring&sessionTimeout=15s -> ZooKeeperOptions.
import { RegistryUriError } from "../../src/core/errors.js";
import { durationParam, splitServerUri } from "../../src/core/server-uri.js";
import type { ZooKeeperFormat, ZooKeeperOptions, ZooKeeperPayload } from "./options.js";
import { isZnodePath } from "./paths.js";

const SCHEME = "zk://";
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i;
const KNOWN_PARAMS = ["format", "payload", "sessionTimeout"];

/** Parses a `zk://` registry URI; throws RegistryUriError naming what is wrong. An empty or "/" path keeps the format's default base. */
export function parseZooKeeperUri(uri: string): ZooKeeperOptions {
  const fail = (message: string): never => {
    throw new RegistryUriError({ uri, message });
  };
  const { hostList, path, params } = splitServerUri(uri, SCHEME, KNOWN_PARAMS, fail);
  const connect = parseHosts(hostList, fail);

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
  if (st !== undefined) opts.sessionTimeoutMs = durationParam("sessionTimeout", st, fail);
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
