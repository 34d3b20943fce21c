// The one place that turns a registry URI into a concrete adapter. Adapters are imported lazily,
// so commands that never talk to a registry never load their clients.
import { BackendAuthError, RegistryUriError } from "../core/errors.js";
import { addSecrets } from "../core/output.js";
import { secretForms } from "../core/redact.js";
import type { Logger } from "../core/log.js";
import type { Registry, RegistryAccess } from "../core/registry.js";

/** Every scheme openRegistry() knows (checked up front by commands that open the registry late). */
export const REGISTRY_SCHEMES: readonly string[] = ["memory", "consul", "consul+http", "consul+https", "zk", "portolan"];

export const REGISTRY_URI_HELP = `registry URI: memory: | consul://HOST:PORT | consul+https://HOST:PORT | zk://H1:P1,H2:P2/CHROOT?format=curator|nerve[&payload=spring] | portolan://HOST:PORT`;

export interface OpenOptions {
  logger: Logger;
  env?: Record<string, string | undefined>;
}

export async function openRegistry(uri: string, opts: OpenOptions): Promise<Registry> {
  const env = opts.env ?? process.env;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case "memory": {
      if (uri !== "memory:" && uri !== "memory://") throw new RegistryUriError({ uri, message: "memory: takes no host or path" });
      const { createMemoryRegistry } = await import("../../adapters/memory/index.js");
      return createMemoryRegistry();
    }
    case "consul":
    case "consul+http":
    case "consul+https": {
      const url = hostPortUrl(uri, "consul://HOST:PORT", "token: CONSUL_HTTP_TOKEN; TLS: consul+https:// and CONSUL_CACERT…");
      const secure = scheme === "consul+https";
      const token = env.CONSUL_HTTP_TOKEN || undefined;
      if (token) addSecrets(secretForms(token)); // masked in every line this process writes
      const { createConsulRegistry } = await import("../../adapters/consul/index.js");
      return createConsulRegistry({
        host: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port ? Number(url.port) : secure ? 8501 : 8500,
        secure,
        token,
        ca: env.CONSUL_CACERT || undefined,
        cert: env.CONSUL_CLIENT_CERT || undefined,
        key: env.CONSUL_CLIENT_KEY || undefined,
        logger: opts.logger.child({ component: "consul" }),
      });
    }
    case "zk": {
      const { parseZooKeeperUri } = await import("../../adapters/zookeeper/uri.js");
      const { createZooKeeperRegistry } = await import("../../adapters/zookeeper/index.js");
      return createZooKeeperRegistry({ ...parseZooKeeperUri(uri), logger: opts.logger.child({ component: "zookeeper" }) });
    }
    case "portolan": {
      const url = hostPortUrl(uri, "portolan://HOST:PORT", "token: PORTOLAN_CATALOG_TOKEN");
      if (!url.port) throw new RegistryUriError({ uri, message: "expected portolan://HOST:PORT" });
      const { createPortolanRegistry } = await import("../../adapters/portolan/index.js");
      const token = env.PORTOLAN_CATALOG_TOKEN || undefined;
      if (token) addSecrets(secretForms(token)); // masked in every line this process writes
      return createPortolanRegistry({ host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port), token, logger: opts.logger.child({ component: "portolan" }) });
    }
    default:
      throw new RegistryUriError({ uri, message: `unknown scheme; expected ${REGISTRY_URI_HELP}` });
  }
}

/** A `scheme://HOST[:PORT]` URI: no path, query, fragment or credentials (each refused, naming where settings go). */
function hostPortUrl(uri: string, form: string, settings: string): URL {
  const url = parseUrl(uri);
  if (!url.hostname) throw new RegistryUriError({ uri, message: `missing HOST (${form})` });
  if (url.pathname && url.pathname !== "/") throw new RegistryUriError({ uri, message: `unexpected path ${url.pathname} (${form})` });
  if (url.search !== "" || uri.includes("?")) throw new RegistryUriError({ uri, message: `takes no query parameters (${settings})` });
  if (url.hash !== "" || uri.includes("#")) throw new RegistryUriError({ uri, message: "a fragment (#) is not allowed" });
  if (url.username !== "" || url.password !== "") {
    throw new RegistryUriError({ uri: uri.replace(/\/\/[^@/]*@/, "//[redacted]@"), message: `credentials in the URI are not supported (${settings})` });
  }
  return url;
}

function parseUrl(uri: string): URL {
  try {
    return new URL(uri);
  } catch {
    throw new RegistryUriError({ uri, message: "not a valid URI" });
  }
}

/**
 * Asks the opened registry whether our credentials allow `access` (registrator: write; dns, catalog, render: read).
 * Refused credentials are a configuration error: the registry is closed and the BackendAuthError thrown (main exits
 * with EXIT_CONFIG). A backend that cannot answer now is left to the loops' retries.
 */
export async function checkAccessAtStart(registry: Registry, access: RegistryAccess, log: Logger): Promise<void> {
  try {
    await registry.checkAccess?.(access);
  } catch (err) {
    if (err instanceof BackendAuthError) {
      await registry.close();
      throw err;
    }
    log.warn({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, "could not check the backend's credentials at start-up; continuing");
  }
}
