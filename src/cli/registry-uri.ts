// The one place that turns a registry URI into a concrete adapter. Adapters are imported lazily,
// so commands that never talk to a registry never load their clients.
import { readFileSync, statSync } from "node:fs";
import type { ConsulConnection } from "../../adapters/consul/client.js";
import { parseEurekaUri, type EurekaUriOptions } from "../../adapters/eureka/uri.js";
import type { EtcdOptions } from "../../adapters/etcd/options.js";
import { parseEtcdUri } from "../../adapters/etcd/uri.js";
import { parseZooKeeperUri } from "../../adapters/zookeeper/uri.js";
import { credentialProblem, parseCredential, parseReaders } from "../../adapters/zookeeper/credential.js";
import type { ZooKeeperOptions } from "../../adapters/zookeeper/options.js";
import { REAL_CLOCK, settlesWithin } from "../core/clock.js";
import { BackendAuthError, BackendUnavailableError, RegistryUriError } from "../core/errors.js";
import { addSecrets } from "../core/output.js";
import { MIN_SECRET_LENGTH, redactUrlCredentials, secretForms } from "../core/redact.js";
import type { Logger } from "../core/log.js";
import type { Registry, RegistryAccess } from "../core/registry.js";
import { CONTROL_CHARS } from "../core/control-chars.js";

export const REGISTRY_URI_HELP = `registry URI: memory: | consul://HOST:PORT | consul+https://HOST:PORT | zk://H1:P1,H2:P2/CHROOT?format=curator|nerve[&payload=spring] | etcd://H1:P1[,H2:P2]/PREFIX?zone=service.consul | etcd+https://… | portolan://HOST:PORT | eureka://H1:P1[,H2:P2…]/PATH[?renew=30s&lease=90s&poll=10s]`;

export interface OpenOptions {
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** A one-shot command's own bound (catalog's --timeout, render's --wait-timeout): no single request waits longer (portolan://). */
  timeoutMs?: number;
}

/** A registry URI and the environment settings it reads, every part checked: opening it can only fail on I/O. */
export type RegistryTarget =
  | { scheme: "memory" }
  | { scheme: "consul"; connection: ConsulConnection }
  | { scheme: "zk"; options: ZooKeeperOptions }
  | { scheme: "etcd"; options: EtcdOptions }
  | { scheme: "portolan"; host: string; port: number; token?: string }
  | { scheme: "eureka"; options: EurekaUriOptions & { username?: string; password?: string } };

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
    case "consul+https": {
      const url = hostPortUrl(uri, "consul://HOST:PORT", "token: CONSUL_HTTP_TOKEN; TLS: consul+https:// and CONSUL_CACERT…");
      const secure = scheme === "consul+https";
      const token = secretSetting(uri, env, "CONSUL_HTTP_TOKEN");
      const pem = (name: string) => pemSetting(uri, env, name);
      const [ca, cert, key] = [pem("CONSUL_CACERT"), pem("CONSUL_CLIENT_CERT"), pem("CONSUL_CLIENT_KEY")];
      if ((cert === undefined) !== (key === undefined)) {
        throw new RegistryUriError({ uri, message: "a client certificate needs both CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY" });
      }
      const connection: ConsulConnection = { host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : secure ? 8501 : 8500, secure };
      return { scheme: "consul", connection: { ...connection, ...(token && { token }), ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) } };
    }
    case "zk":
      return { scheme: "zk", options: { ...parseZooKeeperUri(uri), ...zkAccessSettings(uri, env) } };
    case "etcd":
    case "etcd+http":
    case "etcd+https":
      return { scheme: "etcd", options: etcdSettings(uri, env) };
    case "portolan": {
      const url = hostPortUrl(uri, "portolan://HOST:PORT", "token: PORTOLAN_CATALOG_TOKEN");
      if (!url.port) throw new RegistryUriError({ uri, message: "expected portolan://HOST:PORT" });
      const token = secretSetting(uri, env, "PORTOLAN_CATALOG_TOKEN");
      return { scheme: "portolan", host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port), ...(token && { token }) };
    }
    case "eureka": {
      const options = parseEurekaUri(uri);
      const username = env["EUREKA_USERNAME"] || undefined;
      const password = secretSetting(uri, env, "EUREKA_PASSWORD");
      if ((username === undefined) !== (password === undefined)) throw new RegistryUriError({ uri, message: "basic auth needs both EUREKA_USERNAME and EUREKA_PASSWORD" });
      if (username !== undefined && !/^[\x21-\x39\x3b-\x7e]+$/.test(username)) throw new RegistryUriError({ uri, message: "EUREKA_USERNAME: not visible ASCII, or contains ':'" });
      return { scheme: "eureka", options: { ...options, ...(username && password && { username, password }) } };
    }
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
      return createConsulRegistry({ ...target.connection, logger: opts.logger.child({ component: "consul" }) });
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

/** A token from the environment (unset or empty: none), masked in every line this process writes from now on. */
function secretSetting(uri: string, env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name] || undefined;
  if (value) addSecrets(secretForms(value));
  // Sent in a header: anything but visible ASCII fails every request (and would retry for ever).
  if (value && !/^[\x21-\x7e]+$/.test(value)) throw new RegistryUriError({ uri, message: `${name}: not visible ASCII (a space, newline or control character?)` });
  return value;
}

/**
 * An etcd URI and etcdctl's own variables: ETCDCTL_USER (`name` or `name:password`) and ETCDCTL_PASSWORD for
 * username/password auth, ETCDCTL_CACERT / ETCDCTL_CERT / ETCDCTL_KEY for TLS (etcd+https:// only). The password is
 * masked in every line this process writes from here on.
 */
function etcdSettings(uri: string, env: Record<string, string | undefined>): EtcdOptions {
  const options: EtcdOptions = parseEtcdUri(uri);
  const fail = (message: string): never => {
    throw new RegistryUriError({ uri, message });
  };
  const rawUser = env["ETCDCTL_USER"] || undefined;
  let password = env["ETCDCTL_PASSWORD"] || undefined;
  let user = rawUser;
  if (rawUser !== undefined && password === undefined && rawUser.includes(":")) {
    user = rawUser.slice(0, rawUser.indexOf(":"));
    password = rawUser.slice(rawUser.indexOf(":") + 1) || undefined;
  }
  if (password) addSecrets(secretForms(password));
  if (rawUser !== undefined && rawUser.includes(":") && rawUser !== user) addSecrets(secretForms(rawUser));
  if (user !== undefined && password === undefined) fail("ETCDCTL_USER needs a password: ETCDCTL_USER=name:password or ETCDCTL_PASSWORD");
  if (user === undefined && password !== undefined) fail("ETCDCTL_PASSWORD is set without ETCDCTL_USER");
  if (user !== undefined && CONTROL_CHARS.test(user)) fail("ETCDCTL_USER: contains a control character");
  if (password !== undefined && CONTROL_CHARS.test(password)) fail("ETCDCTL_PASSWORD: contains a control character");
  const pem = (name: string) => pemSetting(uri, env, name);
  const [ca, cert, key] = [pem("ETCDCTL_CACERT"), pem("ETCDCTL_CERT"), pem("ETCDCTL_KEY")];
  if ((cert === undefined) !== (key === undefined)) fail("a client certificate needs both ETCDCTL_CERT and ETCDCTL_KEY");
  if (!options.secure && (ca !== undefined || cert !== undefined)) fail("ETCDCTL_CACERT/ETCDCTL_CERT are set: TLS needs etcd+https://");
  return {
    ...options,
    ...(user !== undefined && password !== undefined && { user, password }),
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && key !== undefined && { cert, key }),
  };
}

/** The biggest credential file read (one line USER:PASSWORD). */
const MAX_CREDENTIAL_BYTES = 4096;

/**
 * ZooKeeper's digest credential (PORTOLAN_ZK_AUTH=USER:PASSWORD, or PORTOLAN_ZK_AUTH_FILE naming a file holding
 * it) and the readers its ACL lets read (PORTOLAN_ZK_READERS). Never taken from the URI, never quoted in a message,
 * masked in every line from here on. Unset: no credential, nodes written open as before. Set but empty or
 * malformed: one RegistryUriError naming the variable.
 */
function zkAccessSettings(uri: string, env: Record<string, string | undefined>): Pick<ZooKeeperOptions, "auth" | "readers"> {
  const fail = (message: string): never => {
    throw new RegistryUriError({ uri, message });
  };
  const [inline, file, readersText] = [env.PORTOLAN_ZK_AUTH, env.PORTOLAN_ZK_AUTH_FILE, env.PORTOLAN_ZK_READERS];
  if (inline !== undefined && file !== undefined) fail("PORTOLAN_ZK_AUTH and PORTOLAN_ZK_AUTH_FILE are both set: set one of them");
  let text: string | undefined;
  let source = "PORTOLAN_ZK_AUTH";
  if (inline !== undefined) text = inline;
  if (file !== undefined) {
    source = `PORTOLAN_ZK_AUTH_FILE=${file}`;
    if (file === "") fail("PORTOLAN_ZK_AUTH_FILE is set but empty (expected the path of a file holding USER:PASSWORD)");
    text = readCredentialFile(file, (why) => fail(`${source}: ${why}`)).replace(/\r?\n$/, "");
  }
  if (text === undefined) {
    if (readersText !== undefined) fail("PORTOLAN_ZK_READERS needs PORTOLAN_ZK_AUTH or PORTOLAN_ZK_AUTH_FILE (without a credential every node is open to all)");
    return {};
  }
  // Masked before it is checked (a short one would mask random text: the check refuses those).
  for (const secret of [text, text.slice(text.indexOf(":") + 1)]) if (secret.length >= MIN_SECRET_LENGTH) addSecrets(secretForms(secret));
  const problem = credentialProblem(text);
  if (problem) fail(`${source} ${problem}`);
  const auth = { ...parseCredential(text), source };
  if (readersText === undefined) return { auth };
  const readers = parseReaders(readersText);
  if ("problem" in readers) return fail(`PORTOLAN_ZK_READERS ${readers.problem}`);
  return { auth, readers: readers.readers };
}

function readCredentialFile(path: string, fail: (why: string) => never): string {
  try {
    const st = statSync(path);
    if (!st.isFile()) fail("not a regular file");
    if (st.size > MAX_CREDENTIAL_BYTES) fail(`over ${MAX_CREDENTIAL_BYTES} bytes: not one USER:PASSWORD line`);
    return readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof RegistryUriError) throw err;
    return fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The biggest PEM file read (a CA bundle is a few hundred KiB). */
const MAX_PEM_BYTES = 1024 * 1024;

/**
 * A PEM setting: PEM text as is, or a file path read now (so a missing or wrong file is a usage error before any
 * effect, never an internal error after `--wait`). A key's value (CONSUL_CLIENT_KEY, ETCDCTL_KEY) is never put in a message: what is
 * not a readable file may be key material in another encoding.
 */
function pemSetting(uri: string, env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  if (value.includes("-----BEGIN ")) return value;
  const shown = name === "CONSUL_CLIENT_KEY" || name === "ETCDCTL_KEY" ? name : `${name}=${value}`;
  const fail = (why: string): never => {
    throw new RegistryUriError({ uri, message: `${shown}: ${why}` });
  };
  let text = "";
  try {
    const st = statSync(value);
    if (!st.isFile()) fail("not a regular file");
    if (st.size > MAX_PEM_BYTES) fail(`over ${MAX_PEM_BYTES} bytes: not a PEM file`);
    text = readFileSync(value, "utf8");
  } catch (err) {
    if (err instanceof RegistryUriError) throw err;
    fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!text.includes("-----BEGIN ")) fail('not a PEM file (no "-----BEGIN" line)');
  return text;
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
 */
export async function checkAccessAtStart(registry: Registry, access: RegistryAccess, log: Logger, withinMs = START_CHECK_MS): Promise<void> {
  try {
    await checkAccessWithin(registry, access, withinMs);
  } catch (err) {
    if (err instanceof BackendAuthError) {
      await registry.close();
      throw err;
    }
    log.warn({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, "could not check the backend's credentials at start-up; continuing");
  }
}
