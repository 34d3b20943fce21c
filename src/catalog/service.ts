// The catalog as one running thing: state fed from a Registry, metrics, and the HTTP server on one address.
// Used by `portolan catalog serve` and by `portolan up` (which also feeds it the registrator's events).
import { ListenError, UsageError } from "../core/errors.js";
import { hostPortFlag, joinHostPort, type HostPort } from "../core/host-port.js";
import type { Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { isLoopback } from "./auth.js";
import { runFeed, type FeedOptions } from "./feed.js";
import { CatalogServer } from "./http.js";
import { CatalogMetrics, type MetricsSource } from "./metrics.js";
import { loadPage } from "./page.js";
import { CatalogState } from "./state.js";

export const DEFAULT_LISTEN = "127.0.0.1:8700";

export type Listen = HostPort;

/** `--listen`: "HOST:PORT", "[V6]:PORT" or ":PORT" (loopback). */
export function parseListen(text: string): Listen {
  return hostPortFlag("listen", text, { defaultHost: "127.0.0.1" });
}

export interface CatalogOptions {
  registry: Registry;
  listen: Listen;
  token?: string;
  logger: Logger;
  metrics?: CatalogMetrics;
  probe?: FeedOptions["probe"];
  probeIntervalMs?: number;
  heartbeatMs?: number;
  maxConnections?: number;
}

export interface RunningCatalog {
  state: CatalogState;
  metrics: CatalogMetrics;
  url: string;
  /** Adds another stage's figures to /metrics (the DNS shim's, in `portolan up`). */
  addMetricsSource(source: MetricsSource): void;
  stop(): Promise<void>;
}

/** A reachability probe for any Registry: its own ping() (never a listing); an in-process backend is always up. */
export function defaultProbe(registry: Registry): FeedOptions["probe"] {
  if (registry.ping) return (signal) => registry.ping!(signal);
  return async () => {};
}

/** Any address but loopback needs a token: checked with the other flags, before anything starts. */
export function checkListenAuth(listen: Listen, token: string | undefined): void {
  if (!isLoopback(listen.host) && !token) {
    throw new UsageError(`--listen ${joinHostPort(listen.host, listen.port)} is not a loopback address: --token is required (or PORTOLAN_CATALOG_TOKEN)`);
  }
}

export async function startCatalog(o: CatalogOptions): Promise<RunningCatalog> {
  checkListenAuth(o.listen, o.token);
  const log = o.logger.child({ component: "catalog" });
  const state = new CatalogState();
  const metrics = o.metrics ?? new CatalogMetrics(o.registry.kind);
  const server = new CatalogServer({ state, metrics, logger: log, token: o.token, page: await loadPage(), heartbeatMs: o.heartbeatMs, maxConnections: o.maxConnections });
  let addr;
  try {
    addr = await server.listen(o.listen.host, o.listen.port);
  } catch (err) {
    await server.close().catch(() => {});
    throw new ListenError({ flag: "--listen", address: joinHostPort(o.listen.host, o.listen.port), cause: err });
  }
  const url = `http://${joinHostPort(addr.address, addr.port)}`;
  log.info({ url, auth: o.token ? "bearer" : "none" }, `catalog listening on ${url}`);
  const ctl = new AbortController();
  const feed = runFeed({ registry: o.registry, state, logger: log, metrics, probe: o.probe ?? defaultProbe(o.registry), probeIntervalMs: o.probeIntervalMs }, ctl.signal);
  return {
    state,
    metrics,
    url,
    addMetricsSource: (s) => metrics.addSource(s),
    async stop() {
      ctl.abort();
      await server.close();
      await feed;
    },
  };
}
