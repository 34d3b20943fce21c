// Options of the ZooKeeper adapter, their defaults, and the one place that merges them.
import type { Clock } from "../../src/core/clock.js";
import { REAL_CLOCK } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";
import { silentLogger } from "../../src/core/log.js";
import type { ACL } from "node-zookeeper-client";
import { aclFor } from "./acl.js";
import { DEFAULT_READERS, type DigestCredential } from "./credential.js";
import { isZnodePath } from "./paths.js";
import type { SessionOptions } from "./session.js";

export type ZooKeeperFormat = "curator" | "nerve";
export type ZooKeeperPayload = "none" | "spring";

export interface ZooKeeperOptions {
  /** Ensemble connect string, "h1:p1,h2:p2" (port defaults to 2181). */
  connect: string;
  /**
   * Base path every entry lives under (an absolute znode path, not a client-side chroot: the
   * same path a Curator reader passes as `basePath` or synapse as `path` prefix).
   * Default: "/services" for curator (Curator's and Spring Cloud Zookeeper's usual root),
   * "/nerve/services" for nerve (airbnb's `zk_path: /nerve/services/<name>/services` convention).
   */
  chroot?: string;
  format: ZooKeeperFormat;
  /** curator only: "none" (default) writes `"payload":null`; "spring" writes a Spring Cloud ZookeeperInstance. */
  payload?: ZooKeeperPayload;
  /** Requested session timeout; the server clamps it to [2, 20] ticks. Default 15 s. */
  sessionTimeoutMs?: number;
  /** Bound on register/deregister/setHealth/listOwned before BackendUnavailableError. Default 10 s. */
  operationTimeoutMs?: number;
  /**
   * Digest credential sent on every connection; the nodes portolan creates (entries and missing parents) then get
   * an ACL: everything for this identity, read for `readers`. `source` names where it came from, for messages.
   * Without it, nodes are written with ZooKeeper's open ACL.
   */
  auth?: DigestCredential & { source?: string };
  /** With `auth`: the ZooKeeper ids ("scheme:id") that may read. Default ["world:anyone"]. */
  readers?: string[];
  logger?: Logger;
  /** Seams for tests (see SessionOptions): how a client is made, the TCP reachability probe, the clock. */
  newClient?: SessionOptions["newClient"];
  probe?: SessionOptions["probe"];
  clock?: Clock;
}

export const DEFAULT_CURATOR_BASE = "/services";
export const DEFAULT_NERVE_BASE = "/nerve/services";
export const DEFAULT_SESSION_TIMEOUT_MS = 15_000;
export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

export interface ResolvedOptions {
  connect: string;
  base: string;
  format: ZooKeeperFormat;
  payload: ZooKeeperPayload;
  sessionTimeoutMs: number;
  operationTimeoutMs: number;
  auth: (DigestCredential & { source: string }) | undefined;
  /** The ACL of every node created, or undefined for ZooKeeper's open one. */
  acl: ACL[] | undefined;
  logger: Logger;
  newClient?: SessionOptions["newClient"];
  probe?: SessionOptions["probe"];
  clock: Clock;
}

/** Merges defaults; throws Error naming the offending option (a programming error: the URI parser validates user input). */
export function resolveOptions(opts: ZooKeeperOptions): ResolvedOptions {
  const payload = opts.payload ?? "none";
  if (opts.format === "nerve" && payload !== "none") {
    throw new Error(`payload=${payload} conflicts with format=nerve (payloads are a Curator concept)`);
  }
  if (opts.connect.trim() === "") throw new Error("connect must name at least one server");
  const base = opts.chroot ?? (opts.format === "nerve" ? DEFAULT_NERVE_BASE : DEFAULT_CURATOR_BASE);
  if (!isZnodePath(base) || base === "/") throw new Error(`chroot ${JSON.stringify(base)} is not a znode path below the root`);
  if (opts.readers && !opts.auth) throw new Error("readers need auth (without a credential every node is open to all)");
  const auth = opts.auth && { user: opts.auth.user, password: opts.auth.password, source: opts.auth.source ?? "auth" };
  return {
    connect: opts.connect,
    base,
    format: opts.format,
    payload,
    sessionTimeoutMs: opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
    operationTimeoutMs: opts.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
    auth,
    acl: auth && aclFor(auth, opts.readers ?? DEFAULT_READERS),
    logger: opts.logger ?? silentLogger(),
    ...(opts.newClient && { newClient: opts.newClient }),
    ...(opts.probe && { probe: opts.probe }),
    clock: opts.clock ?? REAL_CLOCK,
  };
}
