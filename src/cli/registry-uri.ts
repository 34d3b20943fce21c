// The one place that turns a registry URI into a concrete adapter: the scheme picks a backend, whose own file in
// ./registry/ checks its URI and environment settings (read alike through ./registry/settings.ts). Adapters are
// imported lazily, so commands that never talk to a registry never load their clients.
import { REAL_CLOCK, settlesWithin } from "../core/clock.js";
import { BackendAuthError, BackendUnavailableError, RegistryUriError } from "../core/errors.js";
import { redactUrlCredentials } from "../core/redact.js";
import type { Logger } from "../core/log.js";
import type { Registry, RegistryAccess } from "../core/registry.js";
import { consulTarget, type ConsulTarget } from "./registry/consul.js";
import { etcdTarget, type EtcdTarget } from "./registry/etcd.js";
import { eurekaTarget, type EurekaTarget } from "./registry/eureka.js";
import { portolanTarget, type PortolanTarget } from "./registry/portolan.js";
import { zooKeeperTarget, type ZooKeeperTarget } from "./registry/zookeeper.js";

export const REGISTRY_URI_HELP = `registry URI: memory: | consul://HOST:PORT[?servicePolls=128] | consul+https://HOST:PORT | zk://H1:P1,H2:P2/CHROOT?format=curator|nerve[&payload=spring] | etcd://H1:P1[,H2:P2]/PREFIX?zone=service.consul | etcd+https://… | portolan://HOST:PORT | eureka://H1:P1[,H2:P2…]/PATH[?renew=30s&lease=90s&poll=10s]`;

export interface OpenOptions {
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** A one-shot command's own bound (catalog's --timeout, render's --wait-timeout): no single request waits longer (portolan://). */
  timeoutMs?: number;
}

/** A registry URI and the environment settings it reads, every part checked: opening it can only fail on I/O. */
export type RegistryTarget =
  | { scheme: "memory" }
  | ConsulTarget
  | ZooKeeperTarget
  | EtcdTarget
  | PortolanTarget
  | EurekaTarget;

/**
 * Checks a registry URI and its settings (CONSUL_HTTP_TOKEN, CONSUL_CACERT/CLIENT_CERT/CLIENT_KEY, …) without any
 * effect: every command calls it (through openRegistry, or up front where the registry is opened late, after
 * `--wait`). Throws RegistryUriError naming the part or variable. Tokens are masked from here on.
 */
export function parseRegistryUri(uri: string, env: Record<string, string | undefined> = process.env): RegistryTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case "memory":
      if (uri !== "memory:" && uri !== "memory://") throw new RegistryUriError({ uri, message: "memory: takes no host or path" });
      return { scheme: "memory" };
    case "consul":
    case "consul+http":
    case "consul+https":
      return consulTarget(uri, scheme === "consul+https", env);
    case "zk":
      return zooKeeperTarget(uri, env);
    case "etcd":
    case "etcd+http":
    case "etcd+https":
      return etcdTarget(uri, env);
    case "portolan":
      return portolanTarget(uri, env);
    case "eureka":
      return eurekaTarget(uri, env);
    default:
      throw new RegistryUriError({ uri, message: `unknown scheme; expected ${REGISTRY_URI_HELP}` });
  }
}

export async function openRegistry(uri: string, opts: OpenOptions): Promise<Registry> {
  const target = parseRegistryUri(uri, opts.env ?? process.env);
  switch (target.scheme) {
    case "memory": {
      const { createMemoryRegistry } = await import("../../adapters/memory/index.js");
      return createMemoryRegistry();
    }
    case "consul": {
      const { createConsulRegistry } = await import("../../adapters/consul/index.js");
      const polls = target.servicePolls !== undefined && { watchServicePolls: target.servicePolls };
      return createConsulRegistry({ ...target.connection, ...polls, logger: opts.logger.child({ component: "consul" }) });
    }
    case "zk": {
      const { createZooKeeperRegistry } = await import("../../adapters/zookeeper/index.js");
      return createZooKeeperRegistry({ ...target.options, logger: opts.logger.child({ component: "zookeeper" }) });
    }
    case "eureka": {
      const { createEurekaRegistry } = await import("../../adapters/eureka/index.js");
      return createEurekaRegistry({ ...target.options, logger: opts.logger.child({ component: "eureka" }) });
    }
    case "etcd": {
      const { createEtcdRegistry } = await import("../../adapters/etcd/index.js");
      return createEtcdRegistry({ ...target.options, logger: opts.logger.child({ component: "etcd" }) });
    }
    case "portolan": {
      const { createPortolanRegistry } = await import("../../adapters/portolan/index.js");
      const { scheme: _, ...where } = target;
      return createPortolanRegistry({ ...where, ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }), logger: opts.logger.child({ component: "portolan" }) });
    }
  }
}

/**
 * The registry's access check, given at most `ms`: a refusal or an outage it reports in time is thrown as it is;
 * no answer in time is a BackendUnavailableError (a ZooKeeper that accepts connections and never answers would
 * otherwise hold the caller for the adapter's own operation timeout). The late answer is then ignored. The message
 * names `uri` (credentials masked), as the adapter's own timeout would, whichever of the two fires first.
 */
export async function checkAccessWithin(registry: Registry, access: RegistryAccess, ms: number, uri?: string): Promise<void> {
  const check = registry.checkAccess?.(access);
  if (!check) return;
  if (!(await settlesWithin(REAL_CLOCK, ms, check))) {
    throw new BackendUnavailableError({ backend: registry.kind, message: `${uri === undefined ? registry.kind : redactUrlCredentials(uri)}: no answer to the access check within ${ms} ms` });
  }
  await check;
}

/** How long a server command (dns, catalog serve, registrator) waits for the start-up access check before going on. */
export const START_CHECK_MS = 2_000;

/**
 * Asks the opened registry whether our credentials allow `access` (registrator: write; dns, catalog, render: read).
 * Refused credentials are a configuration error: the registry is closed and the BackendAuthError thrown (main exits
 * with EXIT_CONFIG). A backend that cannot answer now (or within `withinMs`) is left to the loops' retries.
 * Once `stopped` resolves the check is abandoned: it resolves at once and its outcome is never logged (the stop's
 * line stays the last one).
 */
export async function checkAccessAtStart(registry: Registry, access: RegistryAccess, log: Logger, withinMs = START_CHECK_MS, stopped?: Promise<unknown>): Promise<void> {
  const check = checkAccessWithin(registry, access, withinMs);
  const STOPPED = Symbol("stopped");
  try {
    const first = stopped ? await Promise.race([check, stopped.then(() => STOPPED)]) : await check;
    if (first === STOPPED) void check.catch(() => {});
  } catch (err) {
    if (err instanceof BackendAuthError) {
      await registry.close();
      throw err;
    }
    log.warn({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, "could not check the backend's credentials at start-up; continuing");
  }
}
