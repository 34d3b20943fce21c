// The transport to etcd's v3 JSON gateway (POST /v3/<service>/<method>, base64 keys, int64 as strings): node:http
// or node:https with one keep-alive agent per endpoint, the endpoint list walked on connection failures, and
// username/password auth (POST /v3/auth/authenticate, the token sent as `Authorization` on every request and
// renewed when etcd says it is invalid). Why a gateway client and not the `etcd3` package: README.md here.
import http from "node:http";
import https from "node:https";

export interface Endpoint {
  host: string;
  port: number;
}

export interface GatewayTarget {
  endpoints: Endpoint[];
  secure: boolean;
  /** PEM text (already read from files). */
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** Never put in a URL, a log line or an error message. */
  user?: { name: string; password: string } | undefined;
  /** Socket idle timeout of every unary request. */
  requestTimeoutMs: number;
}

/** etcd answered with a non-2xx status: `code` is the gRPC status of its JSON error body (0 when it had none). */
export class EtcdHttpError extends Error {
  override name = "EtcdHttpError";
  constructor(
    readonly status: number,
    readonly code: number,
    readonly text: string,
    readonly endpoint: string,
  ) {
    super(`HTTP ${status}: ${text.trim().slice(0, 1000)}`);
  }
}

/** gRPC codes etcd's errors carry that mean "this member cannot serve now; another may". */
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;
/** Socket errors after which the next endpoint is tried. */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);

export function isFailover(err: unknown): boolean {
  if (err instanceof EtcdHttpError) return err.status >= 500 || err.code === GRPC_UNAVAILABLE;
  return CONNECT_ERRORS.has((err as NodeJS.ErrnoException)?.code ?? "");
}

export interface StreamHandle {
  /** Resolves when the server ends the stream, rejects on a transport or HTTP error. */
  done: Promise<void>;
}

export class Gateway {
  private readonly agents: http.Agent[];
  private current = 0;
  private token: string | undefined;
  private authenticating: Promise<string> | undefined;

  constructor(private readonly target: GatewayTarget) {
    this.agents = target.endpoints.map(() =>
      target.secure ? new https.Agent({ keepAlive: true, ca: target.ca, cert: target.cert, key: target.key }) : new http.Agent({ keepAlive: true }),
    );
  }

  /** "host:port" of the endpoint requests go to now. */
  get endpoint(): string {
    const e = this.target.endpoints[this.current]!;
    return `${e.host}:${e.port}`;
  }

  /** POST /v3/`path` with `body`; the next endpoint is tried on a connection failure or an unavailable member. */
  async call<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.failover(async (i) => JSON.parse(await this.withAuth((token) => this.unary(i, path, body, token, signal))) as T);
  }

  /**
   * A server stream (watch, lease keep-alive): every JSON message of the response is passed to `onMessage` as it
   * arrives. Connecting walks the endpoints like call(); once the stream is open its end or failure is the caller's.
   */
  async stream(path: string, body: unknown, signal: AbortSignal, onMessage: (m: unknown) => void): Promise<StreamHandle> {
    return this.failover((i) => this.withAuth((token) => this.openStream(i, path, body, token, signal, onMessage)));
  }

  /** Frees every socket (idle keep-alive ones and open streams). */
  destroy(): void {
    for (const a of this.agents) a.destroy();
  }

  private async failover<T>(fn: (i: number) => Promise<T>): Promise<T> {
    const n = this.target.endpoints.length;
    let last: unknown;
    for (let k = 0; k < n; k++) {
      const i = (this.current + k) % n;
      try {
        const r = await fn(i);
        this.current = i;
        return r;
      } catch (err) {
        if (!isFailover(err)) throw err;
        last = err;
      }
    }
    throw last;
  }

  /** Runs `fn` with the current token (authenticating first when a user is set); once more with a new one if etcd says it is invalid. */
  private async withAuth<T>(fn: (token: string | undefined) => Promise<T>): Promise<T> {
    if (!this.target.user) return fn(undefined);
    const token = this.token ?? (await this.authenticate());
    try {
      return await fn(token);
    } catch (err) {
      if (!(err instanceof EtcdHttpError && err.code === GRPC_UNAUTHENTICATED)) throw err;
      if (this.token === token) this.token = undefined;
      return fn(this.token ?? (await this.authenticate()));
    }
  }

  /** One authenticate request at a time; its failure is thrown to every caller waiting for it. */
  authenticate(): Promise<string> {
    const user = this.target.user;
    if (!user) return Promise.resolve("");
    this.authenticating ??= this.failover((i) => this.unary(i, "auth/authenticate", { name: user.name, password: user.password }, undefined))
      .then((text) => {
        const token = (JSON.parse(text) as { token?: string }).token ?? "";
        this.token = token;
        return token;
      })
      .finally(() => {
        this.authenticating = undefined;
      });
    return this.authenticating;
  }

  private send(i: number, path: string, payload: string, token: string | undefined, timeoutMs: number | undefined, signal?: AbortSignal) {
    const e = this.target.endpoints[i]!;
    const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(payload) };
    if (token) headers.authorization = token;
    // A stream: etcd ends it when this member loses its leader (gRPC metadata hasleader), so it is reopened on
    // another member instead of going quiet (what etcd's own client asks with WithRequireLeader).
    if (timeoutMs === undefined) headers["grpc-metadata-hasleader"] = "true";
    const send = this.target.secure ? https.request : http.request;
    return send({
      host: e.host,
      port: e.port,
      method: "POST",
      path: `/v3/${path}`,
      headers,
      agent: this.agents[i],
      ...(timeoutMs !== undefined && { timeout: timeoutMs }),
      ...(signal && { signal }),
    });
  }

  private unary(i: number, path: string, body: unknown, token: string | undefined, signal?: AbortSignal): Promise<string> {
    const timeoutMs = this.target.requestTimeoutMs;
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = this.send(i, path, payload, token, timeoutMs, signal);
      req.on("response", (res) => {
        const status = res.statusCode ?? 0;
        bodyText(res).then((text) => (status >= 200 && status < 300 ? resolve(text === "" ? "{}" : text) : reject(httpError(status, text, this.nameOf(i)))), reject);
      });
      req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
      req.on("error", reject);
      req.end(payload);
    });
  }

  private openStream(i: number, path: string, body: unknown, token: string | undefined, signal: AbortSignal, onMessage: (m: unknown) => void): Promise<StreamHandle> {
    const payload = JSON.stringify(body);
    return new Promise((resolveOpen, rejectOpen) => {
      const req = this.send(i, path, payload, token, undefined, signal);
      req.on("error", rejectOpen);
      req.on("response", (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          bodyText(res).then((text) => rejectOpen(httpError(status, text, this.nameOf(i))), rejectOpen);
          return;
        }
        const done = new Promise<void>((resolve, reject) => {
          let pending = "";
          req.removeListener("error", rejectOpen);
          req.on("error", reject);
          res.on("error", reject);
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            pending += chunk;
            let nl: number;
            while ((nl = pending.indexOf("\n")) !== -1) {
              const line = pending.slice(0, nl).trim();
              pending = pending.slice(nl + 1);
              if (line === "") continue;
              try {
                onMessage(JSON.parse(line));
              } catch (err) {
                req.destroy(err as Error);
                return;
              }
            }
          });
          res.on("end", () => resolve());
          res.on("close", () => resolve());
        });
        resolveOpen({ done });
      });
      req.end(payload);
    });
  }

  private nameOf(i: number): string {
    const e = this.target.endpoints[i]!;
    return `${e.host}:${e.port}`;
  }
}

async function bodyText(res: http.IncomingMessage): Promise<string> {
  let text = "";
  res.setEncoding("utf8");
  for await (const chunk of res) text += chunk as string;
  return text;
}

function httpError(status: number, text: string, endpoint: string): EtcdHttpError {
  let code = 0;
  let said = text;
  try {
    const body = JSON.parse(text) as { code?: number; error?: string; message?: string };
    code = typeof body.code === "number" ? body.code : 0;
    said = body.message ?? body.error ?? text;
  } catch {
    // not JSON: the gateway's own plain-text refusals
  }
  return new EtcdHttpError(status, code, said, endpoint);
}
