// The HTTP transport to a Consul agent: node:http / node:https (loaded only for consul+https://), one keep-alive
// agent, and the ACL token set here, on every request, in one place. (Why not the `consul` package: adapters/consul/README.md.)
// Answers are asked for gzip-compressed, as Consul's own Go client does (Go's transport asks by default): the agent
// compresses bodies over 1.4 KB, a service's health list to about a fifteenth, and long polls re-send it whole.
import http from "node:http";
import type { Socket } from "node:net";
import { createGunzip } from "node:zlib";
import { https } from "../../src/core/lazy-builtins.js";

export interface HttpTarget {
  host: string;
  port: number;
  secure: boolean;
  /** Sent as X-Consul-Token on every request; never put in a URL, a log line or an error message. */
  token: string | undefined;
  /** PEM text (already read from files). */
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** Socket idle timeout. */
  timeoutMs: number;
  /** A 404 is an answer (an absent KV prefix: no body, but its X-Consul-Index), not an error. */
  notFoundIsEmpty?: boolean;
}

export interface HttpResult<T> {
  status: number;
  /** X-Consul-Index (0 when absent). */
  index: number;
  body: T;
  /** X-Consul-Default-Acl-Policy ("allow" where ACLs are off or default to allow; absent from old agents). */
  aclDefault?: string;
}

/** Consul answered with a non-2xx status; `text` is its response body. */
export class ConsulHttpStatusError extends Error {
  override name = "ConsulHttpStatusError";
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(`HTTP ${status}: ${text.trim().slice(0, 1000)}`);
  }
}

export class ConsulHttp {
  private readonly agent: http.Agent;
  /** Keep-alive sockets waiting in the pool (between two requests). */
  private readonly idle = new WeakSet<Socket>();
  private readonly watched = new WeakSet<Socket>();
  private destroyed = false;

  /**
   * `onIdleClose` is told when the agent ends a connection no request was using: its HTTP server never does that
   * while it runs (no idle timeout), so it stopped or is restarting. Nothing is sent to find out.
   */
  constructor(
    private readonly target: HttpTarget,
    private readonly onIdleClose?: () => void,
  ) {
    this.agent = target.secure
      ? new (https().Agent)({ keepAlive: true, ca: target.ca, cert: target.cert, key: target.key })
      : new http.Agent({ keepAlive: true }); // no maxSockets: each long poll of a watch holds a socket of its own, none waits behind another
    if (onIdleClose) this.agent.on("free", (socket: Socket) => this.watchIdle(socket));
  }

  private watchIdle(socket: Socket): void {
    this.idle.add(socket);
    if (this.watched.has(socket)) return;
    this.watched.add(socket);
    // 'end': the agent's FIN; 'error': its reset. A socket the pool itself destroys gets neither.
    const ended = () => {
      if (this.idle.has(socket) && !this.destroyed) this.onIdleClose?.();
      this.idle.delete(socket);
    };
    socket.once("end", ended);
    socket.once("error", ended);
  }

  /** `path` is below /v1 and already URL-encoded. Resolves with the parsed JSON body (undefined when empty). */
  request<T>(method: "GET" | "PUT" | "POST" | "DELETE", path: string, opts: RequestOptions): Promise<HttpResult<T>> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) query.set(k, v);
    const qs = query.toString();
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string | number> = { accept: "application/json", "accept-encoding": "gzip" };
    if (this.target.token) headers["x-consul-token"] = this.target.token;
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    const send = this.target.secure ? https().request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          host: this.target.host,
          port: this.target.port,
          method,
          path: `/v1${path}${qs ? `?${qs}` : ""}`,
          headers,
          agent: this.agent,
          timeout: opts.timeoutMs,
          ...(opts.signal && { signal: opts.signal }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("error", reject);
          const gzipped = res.headers["content-encoding"] === "gzip";
          const body = gzipped ? res.pipe(createGunzip()) : res;
          if (gzipped) body.on("error", (err: Error) => reject(new Error(`${method} ${path}: response body is not valid gzip (${err.message})`)));
          body.on("data", (c: Buffer) => chunks.push(c));
          body.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status === 404 && opts.notFoundIsEmpty) return resolve({ status, index: Number(res.headers["x-consul-index"] ?? 0), body: undefined as T });
            if (status < 200 || status >= 300) return reject(new ConsulHttpStatusError(status, text));
            let body: T;
            try {
              body = (text === "" ? undefined : JSON.parse(text)) as T;
            } catch {
              return reject(new Error(`${method} ${path}: response is not JSON`));
            }
            const acl = res.headers["x-consul-default-acl-policy"];
            resolve({ status, index: Number(res.headers["x-consul-index"] ?? 0), body, ...(typeof acl === "string" && { aclDefault: acl }) });
          });
        },
      );
      req.on("socket", (socket) => this.idle.delete(socket));
      req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: "ETIMEDOUT" })));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Frees every socket (idle keep-alive ones and in-flight blocking queries). */
  destroy(): void {
    this.destroyed = true;
    this.agent.destroy();
  }
}
