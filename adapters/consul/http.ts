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
  /** A blocking query: held open by design, never counted in MAX_IN_FLIGHT. */
  longPoll?: boolean;
}

/**
 * Requests other than long polls in flight to the agent at once, those whose caller gave up on them included. An
 * agent answers a request its client gave up on all the same, and until then counts its connection against the
 * client address's limit (`limits.http_max_conns_per_client`, 200 by default): when an overloaded agent took more
 * than the request timeout, each retry used to add a connection, until the agent refused them all with HTTP 429
 * (bench:fleet on Consul at 50 hosts x 200 containers: 15,000 refusals in 10 minutes). Past this many, a request
 * waits here for one to end instead.
 */
export const MAX_IN_FLIGHT = 32;
/** A request given up on is cut after this much more: an agent that never answers it frees its place. */
export const GIVEN_UP_MS = 60_000;

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
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

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

  /** Requests in flight now that count against MAX_IN_FLIGHT (tests). */
  get busy(): number {
    return this.inFlight;
  }

  /** Waits for a place among MAX_IN_FLIGHT (FIFO); resolves with its release, or rejects when `signal` aborts first. */
  private place(signal: AbortSignal | undefined): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    };
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener("abort", left);
        resolve(release);
      };
      const left = () => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason ?? new Error("aborted"));
      };
      if (signal?.aborted) return left();
      signal?.addEventListener("abort", left, { once: true });
      this.waiting.push(go);
    });
  }

  /** `path` is below /v1 and already URL-encoded. Resolves with the parsed JSON body (undefined when empty). */
  async request<T>(method: "GET" | "PUT" | "POST" | "DELETE", path: string, opts: RequestOptions): Promise<HttpResult<T>> {
    if (opts.longPoll) return this.send(method, path, opts, () => {});
    return this.send(method, path, opts, await this.place(opts.signal));
  }

  private send<T>(method: "GET" | "PUT" | "POST" | "DELETE", path: string, opts: RequestOptions, release: () => void): Promise<HttpResult<T>> {
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
      let req: http.ClientRequest;
      try {
        req = send(
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
      } catch (err) {
        // Refused before anything was sent (a header or path Node will not write): no 'close' will free the place.
        release();
        return reject(err as Error);
      }
      req.on("socket", (socket) => this.idle.delete(socket));
      let cut: NodeJS.Timeout | undefined;
      req.once("close", () => {
        clearTimeout(cut);
        release();
      });
      let givenUp = false;
      req.on("timeout", () => {
        if (opts.longPoll) return req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: "ETIMEDOUT" }));
        if (givenUp) return;
        // The caller is told now; the request keeps its place until the agent answers it (see MAX_IN_FLIGHT).
        givenUp = true;
        reject(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: "ETIMEDOUT" }));
        cut = setTimeout(() => req.destroy(), GIVEN_UP_MS).unref();
      });
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
