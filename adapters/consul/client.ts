// One method per Consul endpoint the adapter uses, over the thin transport in http.ts; failures translated to
// the Registry port's classes (src/core/errors.ts), the ACL token kept out of every message.
import { readFileSync } from "node:fs";
import { AuthFailures } from "../../src/core/auth-failures.js";
import { BackendAuthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { Health } from "../../src/core/model.js";
import { ConsulOptionsError, ConsulRequestError } from "./errors.js";
import { translateFailure } from "./failures.js";
import { ConsulHttp, type RequestOptions } from "./http.js";
import type { ConsulCheckState, ConsulHealthEntry, ConsulKvEntry, ConsulService, ConsulServiceRegistration } from "./types.js";

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
  /** Told when the agent closes an idle connection (it stopped): see ConsulHttp. */
  onAgentGone?: () => void;
}

export interface Blocking<T> {
  index: number;
  body: T;
  /** X-Consul-Default-Acl-Policy of the answer, when the agent sent it. */
  aclDefault?: string;
}

/** One permission asked of POST /v1/internal/acl/authorize. */
export interface AclQuestion {
  Resource: "service" | "node" | "agent";
  Access: "read" | "write";
  Segment: string;
}

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
const AGENT_GONE = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE"]);

export class ConsulClient {
  private readonly http: ConsulHttp;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  /** Credentials refused while running: logged once per episode, counted for metrics. */
  readonly auth: AuthFailures;
  private readonly onAgentGone: (() => void) | undefined;

  constructor(opts: ClientOptions) {
    this.token = opts.token || undefined;
    this.timeoutMs = opts.requestTimeoutMs;
    this.auth = new AuthFailures(opts.logger);
    this.onAgentGone = opts.onAgentGone;
    this.http = new ConsulHttp({
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      token: this.token,
      ca: readPem("ca", opts.ca),
      cert: readPem("cert", opts.cert),
      key: readPem("key", opts.key),
    }, opts.onAgentGone);
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

  /** GET /v1/agent/services, only those matching `filter` (a Consul filter expression) when given. */
  async agentServices(filter?: string): Promise<Record<string, ConsulService>> {
    return (await this.call<Record<string, ConsulService>>("list services of", "", "GET", "/agent/services", { query: { filter } })).body ?? {};
  }

  /**
   * GET /v1/agent/service/<id>: one service, or undefined when the agent has none with that ID. Constant cost
   * (a filtered list scans every service of the agent).
   */
  async agentService(id: string): Promise<ConsulService | undefined> {
    try {
      return (await this.call<ConsulService>("read service", id, "GET", `/agent/service/${enc(id)}`, {})).body;
    } catch (err) {
      if (err instanceof ConsulRequestError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** GET /v1/agent/checks of one service, or those matching `filter` (a Consul filter expression). */
  async agentChecks(of: { serviceId: string } | { filter: string }): Promise<Record<string, ConsulCheckState>> {
    const filter = "serviceId" in of ? `ServiceID == ${JSON.stringify(of.serviceId)}` : of.filter;
    const id = "serviceId" in of ? of.serviceId : "";
    return (await this.call<Record<string, ConsulCheckState>>("list checks of", id, "GET", "/agent/checks", { query: { filter } })).body ?? {};
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

  /**
   * GET /v1/catalog/node-services/<node>?stale: IDs of the node's services matching `filter`, as a server's catalog
   * holds them (any server answers); undefined when the answer has no node (a token without node:read gets an
   * empty 200, as for an unknown node). Refused credentials are the caller's to report.
   */
  async catalogNodeServiceIds(node: string, filter: string): Promise<string[] | undefined> {
    const r = await this.call<{ Node?: unknown; Services?: Array<{ ID: string }> | null } | null>("read catalog of node", "", "GET", `/catalog/node-services/${enc(node)}`, {
      query: { filter, stale: "" },
      optional: true,
    });
    return r.body?.Node ? (r.body.Services ?? []).map((s) => s.ID) : undefined;
  }

  /** GET /v1/status/leader: the cluster's leader address ("" while there is none). No ACL needed; constant cost. */
  async statusLeader(signal?: AbortSignal): Promise<string> {
    return (await this.call<string>("read leader of", "", "GET", "/status/leader", { ...(signal && { signal }) })).body ?? "";
  }

  catalogServices(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<Record<string, string[]>>> {
    return this.blocking("catalog services", "/catalog/services", {}, index, waitMs, signal);
  }

  healthState(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<ConsulCheckState[]>> {
    return this.blocking("health state", "/health/state/any", {}, index, waitMs, signal);
  }

  /**
   * GET /v1/health/service/<name>; a blocking query when `index` > 0; only passing entries with `passingOnly`. With
   * `probe`, refused credentials are the caller's to report (a reader's first read doubles as its access check).
   */
  healthService(name: string, signal: AbortSignal, index = 0, waitMs = 0, passingOnly = false, probe = false): Promise<Blocking<ConsulHealthEntry[]>> {
    return this.blocking("health of service", `/health/service/${enc(name)}`, passingOnly ? { passing: "1" } : {}, index, waitMs, signal, probe);
  }

  /** PUT /v1/kv/<key> with `value` as JSON; `key` is already URL-encoded. */
  async kvPut(what: string, key: string, value: unknown): Promise<void> {
    await this.call(what, "", "PUT", `/kv/${key}`, { body: value, optional: true });
  }

  /** DELETE /v1/kv/<key>: removing an absent key is not an error. */
  async kvDelete(what: string, key: string): Promise<void> {
    await this.call(what, "", "DELETE", `/kv/${key}`, { optional: true });
  }

  /** GET /v1/kv/<prefix>?recurse, a blocking query when `index` > 0; an absent prefix is an empty list. */
  kvList(what: string, prefix: string, index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<ConsulKvEntry[] | undefined>> {
    return this.blocking(what, `/kv/${prefix}`, { recurse: "true" }, index, waitMs, signal, false, true, true);
  }

  /** A blocking query (index + wait) returning the body and X-Consul-Index; aborts with `signal`. */
  private async blocking<T>(
    what: string,
    path: string,
    query: Record<string, string>,
    index: number,
    waitMs: number,
    signal: AbortSignal,
    probe = false,
    notFoundIsEmpty = false,
    optional = false,
  ): Promise<Blocking<T>> {
    const q: Record<string, string> = { ...query };
    if (index > 0) {
      q.index = String(index);
      q.wait = `${Math.max(1, Math.round(waitMs / 1000))}s`;
    }
    // Consul adds up to wait/16 of jitter to a blocking query.
    const timeoutMs = index > 0 ? waitMs + waitMs / 16 + this.timeoutMs : this.timeoutMs;
    const r = await this.call<T>(what, "", "GET", path, { query: q, signal, timeoutMs, notFoundIsEmpty, optional, longPoll: index > 0 }, probe);
    return { index: r.index, body: r.body, ...(r.aclDefault !== undefined && { aclDefault: r.aclDefault }) };
  }

  /**
   * Runs one request; a failure is translated to the port's classes (failures.ts) and refusals are counted, except
   * for `optional` requests (the shared refusals: a token without KV access still registers and reads the catalog;
   * their callers say so once).
   */
  private async call<T>(
    operation: string,
    serviceId: string,
    method: "GET" | "PUT" | "POST" | "DELETE",
    path: string,
    opts: Partial<RequestOptions> & { optional?: boolean },
    probe = operation === PROBE,
  ): Promise<{ index: number; body: T; aclDefault?: string }> {
    try {
      const r = await this.http.request<T>(method, path, { timeoutMs: this.timeoutMs, ...opts });
      if (!opts.optional) this.auth.succeeded(operation);
      return r;
    } catch (raw) {
      if (opts.signal?.aborted) throw raw;
      // Refused or reset: the agent is down or restarting (as an idle connection it closes says, see ConsulHttp).
      if (AGENT_GONE.has((raw as NodeJS.ErrnoException).code ?? "")) this.onAgentGone?.();
      const err = translateFailure(raw, { operation, serviceId, tokenGiven: this.token !== undefined, redact: (t) => this.redact(t) });
      // The start-up probe's refusal is the caller's configuration error, not a running failure.
      if (err instanceof BackendAuthError && !probe && !opts.optional) this.auth.failed(operation, err);
      throw err;
    }
  }

  private redact(text: string): string {
    return this.token ? text.split(this.token).join("[token]") : text;
  }
}
