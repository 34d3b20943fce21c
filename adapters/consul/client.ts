// Thin effectful shell over the `consul` npm package: one method per Consul endpoint the adapter uses,
// errors translated to portolan's classes, the ACL token kept out of every message.
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import Consul from "consul";
import { BackendUnavailableError } from "../../src/core/errors.js";
import type { Health } from "../../src/core/model.js";
import { ConsulOptionsError, ConsulRequestError } from "./errors.js";
import type { ConsulCheckState, ConsulHealthEntry, ConsulService, ConsulServiceRegistration } from "./types.js";

/** Where and how to reach the agent: what the CLI reads from the URI and CONSUL_HTTP_TOKEN / CONSUL_CACERT / …. */
export interface ConsulConnection {
  host: string;
  port: number;
  secure?: boolean;
  /** ACL token, sent as X-Consul-Token; never logged nor put in an error message. */
  token?: string;
  /** PEM text or path of a PEM file (CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY). */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface ClientOptions extends ConsulConnection {
  /** Timeout of non-blocking requests. */
  requestTimeoutMs: number;
}

export interface Blocking<T> {
  index: number;
  body: T;
}

/** What papi (the HTTP layer of `consul`) puts on its errors. */
interface PapiError extends Error {
  isResponse?: boolean;
  code?: string;
  response?: { statusCode: number; body?: unknown };
}

/** `consul` v2 sends requests through papi's `_put`/`_get`; its typings do not expose them. */
interface PapiClient {
  _put(req: object, ...middleware: unknown[]): Promise<unknown>;
  _get(req: object, ...middleware: unknown[]): Promise<unknown>;
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

export class ConsulClient {
  private readonly consul: Consul;
  private readonly agent: http.Agent;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.token = opts.token || undefined;
    this.timeoutMs = opts.requestTimeoutMs;
    this.agent = opts.secure
      ? new https.Agent({
          keepAlive: true,
          ca: readPem("ca", opts.ca),
          cert: readPem("cert", opts.cert),
          key: readPem("key", opts.key),
        })
      : new http.Agent({ keepAlive: true });
    this.consul = new Consul({
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      agent: this.agent,
      // Sent as the X-Consul-Token header on every request, never in a URL.
      defaults: this.token ? { token: this.token } : {},
    });
  }

  /** Frees every socket (idle keep-alive ones and in-flight blocking queries). */
  destroy(): void {
    this.agent.destroy();
  }

  async registerService(reg: ConsulServiceRegistration): Promise<void> {
    // The package re-normalises the keys it is given (case- and underscore-insensitively) into the same JSON.
    await this.call("register", reg.ID, () => this.consul.agent.service.register({ ...reg, timeout: this.timeoutMs } as never));
  }

  async deregisterService(id: string): Promise<void> {
    try {
      await this.call("deregister", id, () => this.consul.agent.service.deregister({ id, timeout: this.timeoutMs } as never));
    } catch (err) {
      if (err instanceof ConsulRequestError && err.status === 404) return; // already gone
      throw err;
    }
  }

  /**
   * PUT /v1/agent/check/update/<id> with {Status, Output}. The package only offers pass/warn/fail with the
   * output as a `note` query parameter, so this goes through its underlying papi client (same agent, TLS, token).
   */
  async updateCheck(serviceId: string, checkId: string, status: Health, output: string): Promise<void> {
    const papi = this.consul as unknown as PapiClient;
    const headers: Record<string, string> = this.token ? { "x-consul-token": this.token } : {};
    await this.call("update check of", serviceId, () =>
      papi._put({
        name: "agent.check.update",
        path: "/agent/check/update/{id}",
        params: { id: checkId },
        type: "json",
        body: { Status: status, Output: output },
        headers,
        timeout: this.timeoutMs,
      }),
    );
  }

  async agentServices(): Promise<Record<string, ConsulService>> {
    return (await this.call("list services of", "", () =>
      this.consul.agent.service.list({ timeout: this.timeoutMs } as never),
    )) as Record<string, ConsulService>;
  }

  /**
   * GET /v1/agent/service/<id>: one service, or undefined when the agent has none with that ID. Constant cost
   * (a filtered list scans every service of the agent). The package has no call for it: papi's `_get`, as below.
   */
  async agentService(id: string): Promise<ConsulService | undefined> {
    const papi = this.consul as unknown as PapiClient;
    const headers: Record<string, string> = this.token ? { "x-consul-token": this.token } : {};
    try {
      const res = await this.call("read service", id, () =>
        papi._get({ name: "agent.service.get", path: "/agent/service/{id}", params: { id }, headers, timeout: this.timeoutMs }),
      );
      return (res as { body?: ConsulService }).body;
    } catch (err) {
      if (err instanceof ConsulRequestError && err.status === 404) return undefined;
      throw err;
    }
  }

  async agentChecks(serviceId?: string): Promise<Record<string, ConsulCheckState>> {
    const opts: Record<string, unknown> = { timeout: this.timeoutMs };
    if (serviceId !== undefined) opts.filter = `ServiceID == ${JSON.stringify(serviceId)}`;
    return (await this.call("list checks of", serviceId ?? "", () => this.consul.agent.check.list(opts as never))) as Record<
      string,
      ConsulCheckState
    >;
  }

  catalogServices(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<Record<string, string[]>>> {
    return this.blocking("catalog services", index, waitMs, signal, (o) => this.consul.catalog.service.list(o as never));
  }

  healthState(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<ConsulCheckState[]>> {
    return this.blocking("health state", index, waitMs, signal, (o) => this.consul.health.state({ ...o, state: "any" } as never));
  }

  healthService(name: string, signal: AbortSignal): Promise<Blocking<ConsulHealthEntry[]>> {
    return this.blocking(`health of ${name}`, 0, 0, signal, (o) => this.consul.health.service({ ...o, service: name } as never));
  }

  /** A blocking query (index + wait) returning the body and X-Consul-Index; aborts with `signal`. */
  private async blocking<T>(
    what: string,
    index: number,
    waitMs: number,
    signal: AbortSignal,
    run: (opts: object) => Promise<unknown>,
  ): Promise<Blocking<T>> {
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true, canceled: false });
    const cancel = () => {
      ctx.canceled = true;
      ctx.emit("cancel");
    };
    signal.addEventListener("abort", cancel, { once: true });
    const opts: Record<string, unknown> = { ctx };
    if (index > 0) {
      opts.index = String(index);
      opts.wait = `${Math.max(1, Math.round(waitMs / 1000))}s`;
    }
    // Consul adds up to wait/16 of jitter to a blocking query.
    opts.timeout = index > 0 ? waitMs + waitMs / 16 + this.timeoutMs : this.timeoutMs;
    try {
      const [res, body] = (await this.call(what, "", () => run(opts))) as [{ headers: Record<string, string> }, T];
      return { index: Number(res.headers["x-consul-index"] ?? 0), body };
    } finally {
      signal.removeEventListener("abort", cancel);
    }
  }

  /** Runs one request and translates its failure: 5xx/429/unreachable -> BackendUnavailableError, other 4xx -> ConsulRequestError. */
  private async call<T>(operation: string, serviceId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (raw) {
      const err = raw as PapiError;
      const status = err.response?.statusCode;
      const said = this.redact(bodyText(err.response?.body) || err.message || String(raw));
      // 429 is the agent's rate limit (http_max_conns_per_client, rpc limits): back off and retry, like a 5xx.
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
        throw new ConsulRequestError({ serviceId, operation, status, consulMessage: said });
      }
      // The cause keeps the message and code only: papi's error holds the request, token header included.
      const cause = Object.assign(new Error(this.redact(err.message ?? String(raw))), { code: err.code });
      const where = serviceId ? `${operation} ${JSON.stringify(serviceId)}` : operation;
      throw new BackendUnavailableError({
        backend: "consul",
        message: `${where}: ${status !== undefined ? `HTTP ${status}: ${said}` : said}`,
        cause,
      });
    }
  }

  private redact(text: string): string {
    return this.token ? text.split(this.token).join("[token]") : text;
  }
}

function bodyText(body: unknown): string {
  if (typeof body === "string") return body.trim().slice(0, 1000);
  if (Buffer.isBuffer(body)) return body.toString("utf8").trim().slice(0, 1000);
  return "";
}

