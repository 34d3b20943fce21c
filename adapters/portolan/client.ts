// HTTP to a portolan catalog server: JSON GETs, the /v1/events stream and the access probe. Failures are
// BackendUnavailableError (unreachable, 5xx, not a portolan catalog) or BackendAuthError (401/403, naming
// PORTOLAN_CATALOG_TOKEN); the token goes only into the Authorization header, never into a message.
import { request, type IncomingMessage } from "node:http";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";

export interface ClientOptions {
  host: string;
  port: number;
  token?: string;
  /** Bound on each request's silence (connect, headers, then between body chunks). */
  timeoutMs?: number;
}

export const BACKEND = "portolan";
export const DEFAULT_TIMEOUT_MS = 5_000;
/** Largest JSON answer read (the instances of 10,000 containers are about 6 MB). */
export const MAX_JSON_CHARS = 64 * 1024 * 1024;
/** What a refused token means, and where to set it; the value itself is never shown. */
const TOKEN_VARIABLE = "PORTOLAN_CATALOG_TOKEN";

export class CatalogClient {
  constructor(private readonly o: ClientOptions) {}

  get where(): string {
    return `${this.o.host.includes(":") ? `[${this.o.host}]` : this.o.host}:${this.o.port}`;
  }

  /** GET (or HEAD) path; resolves with the response (status 200) or rejects with the port's error kinds. */
  open(path: string, headers: Record<string, string>, signal: AbortSignal, timeoutMs?: number, method: "GET" | "HEAD" = "GET"): Promise<IncomingMessage> {
    const ms = timeoutMs ?? this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const h: Record<string, string> = { accept: "application/json", ...headers };
      if (this.o.token) h.authorization = `Bearer ${this.o.token}`;
      const req = request({ host: this.o.host, port: this.o.port, path, method, headers: h, signal, timeout: ms });
      req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${ms} ms`), { code: "ETIMEDOUT" })));
      req.on("error", (err) => reject(this.unavailable(path, err)));
      req.on("response", (res) => {
        const status = res.statusCode ?? 0;
        if (status === 200) return resolve(res);
        res.resume();
        reject(status === 401 || status === 403 ? this.refused(path, status) : new BackendUnavailableError({ backend: BACKEND, message: `${this.where}${path}: HTTP ${status}` }));
      });
      req.end();
    });
  }

  /** A failure of the connection or of a response's body, said with the address and what happened. */
  unavailable(path: string, err: unknown): BackendUnavailableError {
    if (err instanceof BackendUnavailableError) return err;
    const e = err as NodeJS.ErrnoException;
    const what =
      e.code === "ECONNREFUSED"
        ? "connection refused (nothing listens there: is `portolan up` or `portolan catalog serve` running?)"
        : e.code === "ECONNRESET" && e.message === "aborted"
          ? "the server closed the connection in the middle of an answer"
          : e.message;
    return new BackendUnavailableError({ backend: BACKEND, message: `${this.where}${path}: ${what}`, cause: err });
  }

  /** 401/403: what the server refuses and which setting to fix (a configuration error, exit 78 at start-up). */
  private refused(path: string, status: number): BackendAuthError {
    const why =
      status === 403
        ? `HTTP 403: a catalog server without --token answers only requests addressed to a loopback name (portolan://127.0.0.1, localhost or [::1]); else give the server a --token and set ${TOKEN_VARIABLE} to it`
        : this.o.token
          ? `HTTP 401: the server refuses the token in ${TOKEN_VARIABLE}; set it to the server's --token`
          : `HTTP 401: the server requires a token and ${TOKEN_VARIABLE} is not set; set it to the server's --token`;
    return new BackendAuthError({ backend: BACKEND, permission: "read", message: `${this.where}${path}: ${why}` });
  }

  /**
   * Whether this server lets us read: HEAD /v1/events passes the server's token check and costs it nothing (no
   * body, not a client). Refused credentials: BackendAuthError; anything but an event stream: not a portolan catalog.
   */
  async probe(signal: AbortSignal): Promise<void> {
    const res = await this.open("/v1/events", { accept: "text/event-stream" }, signal, undefined, "HEAD");
    const type = res.headers["content-type"] ?? "";
    if (!type.startsWith("text/event-stream")) {
      throw new BackendUnavailableError({ backend: BACKEND, message: `${this.where}/v1/events: not a portolan catalog (HEAD answered content-type ${JSON.stringify(type)}, not text/event-stream)` });
    }
  }

  async getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.open(path, {}, signal ?? new AbortController().signal);
    let text = "";
    res.setEncoding("utf8");
    try {
      for await (const chunk of res) {
        text += chunk as string;
        if (text.length > MAX_JSON_CHARS) {
          res.destroy();
          throw new BackendUnavailableError({ backend: BACKEND, message: `${this.where}${path}: answer over ${MAX_JSON_CHARS} characters (not a portolan catalog?)` });
        }
      }
    } catch (err) {
      throw this.unavailable(path, err);
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new BackendUnavailableError({ backend: BACKEND, message: `${this.where}${path}: not JSON`, cause: err });
    }
  }
}
