// One method per Consul endpoint the adapter uses, over the thin transport in http.ts; failures translated to
// the Registry port's classes (src/core/errors.ts), the ACL token kept out of every message.
import { readFileSync } from "node:fs";
import { AuthFailures } from "../../src/core/auth-failures.js";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { Health } from "../../src/core/model.js";
import { ConsulOptionsError, ConsulRequestError } from "./errors.js";
import { ConsulHttp, ConsulHttpStatusError, type RequestOptions } from "./http.js";
import type { ConsulCheckState, ConsulHealthEntry, ConsulService, ConsulServiceRegistration } from "./types.js";

/** Where and how to reach the agent: what the CLI reads from the URI and CONSUL_HTTP_TOKEN / CONSUL_CACERT / …. */
export interface ConsulConnection {
  host: string;
  port: number;
  secure?: boolean;
  /** ACL token, sent as X-Consul-Token on every request; never logged nor put in an error message. */
  token?: string;
  /** PEM text or path of a PEM file (CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY). */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface ClientOptions extends ConsulConnection {
  /** Timeout of non-blocking requests. */
  requestTimeoutMs: number;
  /** Where refused credentials are reported while running (AuthFailures). */
  logger: Logger;
}

export interface Blocking<T> {
  index: number;
  body: T;
}

/** One permission asked of POST /v1/internal/acl/authorize. */
export interface AclQuestion {
  Resource: "service" | "node" | "agent";
  Access: "read" | "write";
  Segment: string;
}

/** TLS failures that mean "our certificates, trust settings or scheme are wrong", not "try again later". */
const TLS_CONFIG_ERRORS: Array<[RegExp, string]> = [
  [/^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/, "the agent requires a client certificate (CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY)"],
  [/^ERR_SSL_(SSLV3_ALERT_BAD_CERTIFICATE|TLSV1_ALERT_UNKNOWN_CA)$/, "the agent does not accept our client certificate (CONSUL_CLIENT_CERT)"],
  [/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/, "the agent's certificate is not signed by a CA we trust (CONSUL_CACERT)"],
  [/^(CERT_HAS_EXPIRED|CERT_NOT_YET_VALID)$/, "the agent's certificate is expired or not yet valid"],
  [/^ERR_TLS_CERT_ALTNAME_INVALID$/, "the agent's certificate does not name the host of the registry URI"],
];
/** A plain-HTTP agent port answering a TLS client hello ("wrong version number"). */
const NOT_TLS = /wrong version number/;
/** An HTTPS agent port answering a plain-HTTP request (Go's net/http says this with a 400). */
const NOT_PLAIN = /Client sent an HTTP request to an HTTPS server/;

export function readPem(what: string, value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (value.includes("-----BEGIN ")) return value;
  try {
    return readFileSync(value, "utf8");
  } catch (err) {
    throw new ConsulOptionsError({ option: what, message: `cannot read PEM file ${value}: ${(err as Error).message}` });
  }
}

/** One path segment. "." and ".." are percent-encoded too: Consul's router would clean them out of the path (a 307). */
const enc = (segment: string) => (segment === "." || segment === ".." ? segment.replace(/\./g, "%2E") : encodeURIComponent(segment));
const PROBE = "check permissions";

export class ConsulClient {
  private readonly http: ConsulHttp;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  /** Credentials refused while running: logged once per episode, counted for metrics. */
  readonly auth: AuthFailures;

  constructor(opts: ClientOptions) {
    this.token = opts.token || undefined;
    this.timeoutMs = opts.requestTimeoutMs;
    this.auth = new AuthFailures(opts.logger);
    this.http = new ConsulHttp({
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      token: this.token,
      ca: readPem("ca", opts.ca),
      cert: readPem("cert", opts.cert),
      key: readPem("key", opts.key),
    });
  }

  /** Frees every socket (idle keep-alive ones and in-flight blocking queries). */
  destroy(): void {
    this.http.destroy();
  }

  async registerService(reg: ConsulServiceRegistration): Promise<void> {
    await this.call("register", reg.ID, "PUT", "/agent/service/register", { body: reg });
  }

  async deregisterService(id: string): Promise<void> {
    try {
      await this.call("deregister", id, "PUT", `/agent/service/deregister/${enc(id)}`, {});
    } catch (err) {
      if (err instanceof ConsulRequestError && err.status === 404) return; // already gone
      throw err;
    }
  }

  /** PUT /v1/agent/check/update/<id> with {Status, Output}. */
  async updateCheck(serviceId: string, checkId: string, status: Health, output: string): Promise<void> {
    await this.call("update check of", serviceId, "PUT", `/agent/check/update/${enc(checkId)}`, { body: { Status: status, Output: output } });
  }

  async agentServices(): Promise<Record<string, ConsulService>> {
    return (await this.call<Record<string, ConsulService>>("list services of", "", "GET", "/agent/services", {})).body ?? {};
  }

  async agentChecks(serviceId?: string): Promise<Record<string, ConsulCheckState>> {
    const query = { filter: serviceId === undefined ? undefined : `ServiceID == ${JSON.stringify(serviceId)}` };
    return (await this.call<Record<string, ConsulCheckState>>("list checks of", serviceId ?? "", "GET", "/agent/checks", { query })).body ?? {};
  }

  /**
   * POST /v1/internal/acl/authorize: may our token do each of `questions`? (The endpoint Consul's UI uses.)
   * undefined when ACLs are disabled (HTTP 401 "ACL support disabled"): everything is allowed.
   */
  async authorize(questions: AclQuestion[]): Promise<boolean[] | undefined> {
    try {
      const r = await this.call<Array<{ Allow?: boolean }>>(PROBE, "", "POST", "/internal/acl/authorize", { body: questions });
      return questions.map((_, i) => r.body?.[i]?.Allow === true);
    } catch (err) {
      if (err instanceof ConsulRequestError && err.status === 401) return undefined;
      throw err;
    }
  }

  catalogServices(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<Record<string, string[]>>> {
    return this.blocking("catalog services", "/catalog/services", {}, index, waitMs, signal);
  }

  healthState(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<ConsulCheckState[]>> {
    return this.blocking("health state", "/health/state/any", {}, index, waitMs, signal);
  }

  healthService(name: string, signal: AbortSignal): Promise<Blocking<ConsulHealthEntry[]>> {
    return this.blocking("health of service", `/health/service/${enc(name)}`, {}, 0, 0, signal);
  }

  /** A blocking query (index + wait) returning the body and X-Consul-Index; aborts with `signal`. */
  private async blocking<T>(
    what: string,
    path: string,
    query: Record<string, string>,
    index: number,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<Blocking<T>> {
    const q: Record<string, string> = { ...query };
    if (index > 0) {
      q.index = String(index);
      q.wait = `${Math.max(1, Math.round(waitMs / 1000))}s`;
    }
    // Consul adds up to wait/16 of jitter to a blocking query.
    const timeoutMs = index > 0 ? waitMs + waitMs / 16 + this.timeoutMs : this.timeoutMs;
    const r = await this.call<T>(what, "", "GET", path, { query: q, signal, timeoutMs });
    return { index: r.index, body: r.body };
  }

  /**
   * Runs one request and translates its failure: 403 -> BackendAuthError (naming the permission Consul says is
   * missing), a TLS trust/certificate failure -> BackendAuthError, 5xx/429/unreachable -> BackendUnavailableError,
   * other 4xx -> ConsulRequestError.
   */
  private async call<T>(
    operation: string,
    serviceId: string,
    method: "GET" | "PUT" | "POST",
    path: string,
    opts: Partial<RequestOptions>,
  ): Promise<{ index: number; body: T }> {
    try {
      const r = await this.http.request<T>(method, path, { timeoutMs: this.timeoutMs, ...opts });
      this.auth.succeeded(operation);
      return r;
    } catch (raw) {
      if (opts.signal?.aborted) throw raw;
      const err = this.translate(operation, serviceId, raw);
      // The start-up probe's refusal is the caller's configuration error, not a running failure.
      if (err instanceof BackendAuthError && operation !== PROBE) this.auth.failed(operation, err);
      throw err;
    }
  }

  private translate(operation: string, serviceId: string, raw: unknown): Error {
    const where = serviceId ? `${operation} ${JSON.stringify(serviceId)}` : operation;
    if (raw instanceof ConsulHttpStatusError) {
      const said = this.redact(raw.text.trim().slice(0, 1000));
      const cause = new Error(`HTTP ${raw.status}: ${said}`);
      if (raw.status === 403) return this.aclError(where, said, cause);
      if (raw.status === 400 && NOT_PLAIN.test(said)) {
        return new BackendAuthError({ backend: "consul", message: `${where}: the agent serves HTTPS on this port: use consul+https://`, cause });
      }
      // 429 is the agent's rate limit (http_max_conns_per_client, rpc limits): back off and retry, like a 5xx.
      if (raw.status >= 400 && raw.status < 500 && raw.status !== 429) {
        return new ConsulRequestError({ serviceId, operation, status: raw.status, consulMessage: said });
      }
      return new BackendUnavailableError({ backend: "consul", message: `${where}: HTTP ${raw.status}: ${said}` });
    }
    const e = raw as NodeJS.ErrnoException;
    // The cause keeps the message and code only.
    const cause = Object.assign(new Error(this.redact(e.message ?? String(raw))), { code: e.code });
    const tls = TLS_CONFIG_ERRORS.find(([code]) => code.test(e.code ?? ""))?.[1] ?? (NOT_TLS.test(cause.message) ? "the agent does not serve HTTPS on this port: use consul://" : undefined);
    if (tls) return new BackendAuthError({ backend: "consul", message: `${where}: TLS: ${tls} (${e.code ?? "EPROTO"})`, cause });
    return new BackendUnavailableError({ backend: "consul", message: `${where}: ${cause.message}`, cause });
  }

  /** Consul's 403 bodies: "Permission denied: … lacks permission 'service:write' on \"web\"…", "ACL not found". */
  private aclError(where: string, said: string, cause: Error): BackendAuthError {
    const permission = /lacks permission '([^']+)'/.exec(said)?.[1];
    const target = /lacks permission '[^']+' on ("[^"]*")/.exec(said)?.[1];
    let message: string;
    if (/ACL not found/i.test(said)) {
      message = this.token
        ? "the ACL token (CONSUL_HTTP_TOKEN) is unknown to this Consul (ACL not found): revoked, expired, or of another cluster"
        : "this Consul refuses requests without an ACL token (ACL not found); set CONSUL_HTTP_TOKEN";
    } else if (permission) {
      const on = target ? ` on ${target}` : "";
      message = this.token
        ? `the ACL token (CONSUL_HTTP_TOKEN) lacks permission '${permission}'${on}`
        : `no ACL token (CONSUL_HTTP_TOKEN is not set) and the anonymous token lacks permission '${permission}'${on}`;
    } else {
      message = `permission denied: ${said}`;
    }
    return new BackendAuthError({ backend: "consul", message: `${where}: ${message}`, ...(permission && { permission }), cause });
  }

  private redact(text: string): string {
    return this.token ? text.split(this.token).join("[token]") : text;
  }
}
