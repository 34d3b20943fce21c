// The HTTP transport to a Eureka cluster: node:http, one keep-alive agent, basic auth set here on every request,
// and failover: requests go to the server that answered last; a server that cannot be reached, times out or answers
// 5xx (or 403 to a read, which a server still filling its registry from its peers says) is left for the next in the
// list, as Eureka's own clients do. Every other answer is the cluster's answer, returned to the caller.
import http from "node:http";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import type { AuthFailures } from "../../src/core/auth-failures.js";
import type { EurekaServer } from "./options.js";

export interface EurekaHttpOptions {
  servers: EurekaServer[];
  path: string;
  username?: string | undefined;
  password?: string | undefined;
  requestTimeoutMs: number;
  auth: AuthFailures;
}

export interface EurekaRequest {
  /** Names the request in messages and in the auth-failure log ("register", "renew", "fetch"). */
  operation: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Below the context path, already URL-encoded ("/apps/WEB/id"). */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

export interface EurekaAnswer {
  status: number;
  /** Parsed JSON (undefined when empty or not JSON). */
  body: unknown;
  /** The server that answered, as HOST:PORT. */
  server: string;
}

const where = (s: EurekaServer) => (s.host.includes(":") ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);

/** What the registry needs of a transport (EurekaHttp; a fake in unit tests). */
export interface EurekaTransport {
  request(req: EurekaRequest): Promise<EurekaAnswer>;
  destroy(): void;
}

export class EurekaHttp implements EurekaTransport {
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly authHeader: string | undefined;
  /** Index of the server that answered last: the first one asked next time. */
  private current = 0;
  /** Requests sent, per server (HOST:PORT), for tests and benchmarks. */
  readonly sent = new Map<string, number>();

  constructor(private readonly o: EurekaHttpOptions) {
    if (o.username !== undefined) this.authHeader = `Basic ${Buffer.from(`${o.username}:${o.password ?? ""}`).toString("base64")}`;
  }

  /** The server asked first now (HOST:PORT). */
  get preferred(): string {
    return where(this.o.servers[this.current]!);
  }

  async request(req: EurekaRequest): Promise<EurekaAnswer> {
    const failures: string[] = [];
    const n = this.o.servers.length;
    for (let k = 0; k < n; k++) {
      const idx = (this.current + k) % n;
      const server = this.o.servers[idx]!;
      let answer: EurekaAnswer;
      try {
        answer = await this.send(server, req);
      } catch (err) {
        if (req.signal?.aborted) throw unavailable(`${req.operation}: aborted`, err);
        failures.push(`${where(server)}: ${(err as Error).message}`);
        continue;
      }
      if (answer.status >= 500 || (answer.status === 403 && req.method === "GET")) {
        failures.push(`${where(server)}: HTTP ${answer.status}${answer.status === 403 ? " (not serving its registry yet?)" : ""}`);
        continue;
      }
      this.current = idx;
      if (answer.status === 401 || answer.status === 403) {
        const err = new BackendAuthError({
          backend: "eureka",
          ...(answer.status === 403 && { permission: `${req.method} ${req.path.split("/").slice(0, 2).join("/")}` }),
          message: `${req.operation}: ${where(server)} refused ${this.authHeader ? "the credentials of EUREKA_USERNAME / EUREKA_PASSWORD" : "the request without credentials (set EUREKA_USERNAME and EUREKA_PASSWORD)"} (HTTP ${answer.status})`,
        });
        this.o.auth.failed(req.operation, err);
        throw err;
      }
      this.o.auth.succeeded(req.operation);
      return answer;
    }
    throw unavailable(`${req.operation}: no Eureka server answered (${failures.join("; ")})`);
  }

  private async send(server: EurekaServer, req: EurekaRequest): Promise<EurekaAnswer> {
    const qs = new URLSearchParams(req.query ?? {}).toString();
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string | number> = { accept: "application/json" };
    if (this.authHeader) headers["authorization"] = this.authHeader;
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    const name = where(server);
    this.sent.set(name, (this.sent.get(name) ?? 0) + 1);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = http.request(
        {
          host: server.host,
          port: server.port,
          method: req.method,
          path: `${this.o.path}${req.path}${qs ? `?${qs}` : ""}`,
          headers,
          agent: this.agent,
          timeout: this.o.requestTimeoutMs,
          ...(req.signal && { signal: req.signal }),
        },
        resolve,
      );
      r.on("timeout", () => r.destroy(new Error(`no answer within ${this.o.requestTimeoutMs} ms`)));
      r.on("error", (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
      r.end(payload);
    });
    let text = "";
    for await (const chunk of res) text += chunk;
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined; // an HTML error page, say: the status says what happened
    }
    return { status: res.statusCode ?? 0, body, server: name };
  }

  destroy(): void {
    this.agent.destroy();
  }
}

function unavailable(message: string, cause?: unknown): BackendUnavailableError {
  return new BackendUnavailableError({ backend: "eureka", message, cause });
}
