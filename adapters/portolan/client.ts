// HTTP to a portolan catalog server: JSON GETs and the /v1/events stream. Failures are BackendUnavailableError
// (unreachable, 5xx) or BackendAuthError (401/403); the token goes only into the Authorization header.
import { request, type IncomingMessage } from "node:http";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";

export interface ClientOptions {
  host: string;
  port: number;
  token?: string;
  timeoutMs?: number;
}

export const BACKEND = "portolan";
export const DEFAULT_TIMEOUT_MS = 5_000;
/** Largest JSON answer read (the instances of 10,000 containers are about 6 MB). */
export const MAX_JSON_CHARS = 64 * 1024 * 1024;

export class CatalogClient {
  constructor(private readonly o: ClientOptions) {}

  get where(): string {
    return `${this.o.host.includes(":") ? `[${this.o.host}]` : this.o.host}:${this.o.port}`;
  }

  /** GET path; resolves with the response (status 200) or rejects with the port's error kinds. */
  open(path: string, headers: Record<string, string>, signal: AbortSignal, timeoutMs?: number): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const h: Record<string, string> = { accept: "application/json", ...headers };
      if (this.o.token) h.authorization = `Bearer ${this.o.token}`;
      const req = request({ host: this.o.host, port: this.o.port, path, method: "GET", headers: h, signal, timeout: timeoutMs ?? this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs ?? this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`)));
      req.on("error", (err) => reject(new BackendUnavailableError({ backend: BACKEND, message: `${this.where}${path}: ${err.message}`, cause: err })));
      req.on("response", (res) => {
        const status = res.statusCode ?? 0;
        if (status === 200) return resolve(res);
        res.resume();
        if (status === 401 || status === 403) {
          reject(new BackendAuthError({ backend: BACKEND, message: `${this.where}${path}: HTTP ${status} (set PORTOLAN_CATALOG_TOKEN to the server's --token)` }));
        } else {
          reject(new BackendUnavailableError({ backend: BACKEND, message: `${this.where}${path}: HTTP ${status}` }));
        }
      });
      req.end();
    });
  }

  async getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.open(path, {}, signal ?? new AbortController().signal);
    let text = "";
    res.setEncoding("utf8");
    for await (const chunk of res) {
      text += chunk as string;
      if (text.length > MAX_JSON_CHARS) {
        res.destroy();
        throw new BackendUnavailableError({ backend: BACKEND, message: `${this.where}${path}: answer over ${MAX_JSON_CHARS} characters (not a portolan catalog?)` });
      }
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new BackendUnavailableError({ backend: BACKEND, message: `${this.where}${path}: not JSON`, cause: err });
    }
  }
}
