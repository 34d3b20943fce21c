// The catalog's HTTP server: JSON API, SSE, /metrics, /healthz, Prometheus HTTP SD and the page.
// Routes come from find-my-way; bodies are built from the state (unfiltered lists cached per state generation).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import FindMyWay from "find-my-way";
import type { Logger } from "../core/log.js";
import { loopbackAuthority, TokenCheck, TOKEN_COOKIE } from "./auth.js";
import { ConnectionLimit, DEFAULT_MAX_CONNECTIONS } from "./connections.js";
import { InvalidParameterError } from "./errors.js";
import { parseFilter } from "./filter.js";
import type { CatalogMetrics } from "./metrics.js";
import type { PageAssets } from "./page.js";
import { EventStream } from "./sse.js";
import type { CatalogState } from "./state.js";
import { hostsOf, matches, prometheusTargets, serviceDocument, servicesDocument } from "./view.js";

export interface ServerOptions {
  state: CatalogState;
  metrics: CatalogMetrics;
  logger: Logger;
  /** Required on any non-loopback bind (checked by the caller, which knows the address). */
  token?: string;
  page?: PageAssets;
  heartbeatMs?: number;
  /** Open connections at most (see ConnectionLimit). */
  maxConnections?: number;
}

type Query = URLSearchParams;
type Route = (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>, query: Query) => void | Promise<void>;

export class CatalogServer {
  readonly server: Server;
  readonly events: EventStream;
  private readonly router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 256 });
  private readonly token: TokenCheck | undefined;
  private readonly cache = new Map<string, { generation: number; body: string }>();

  constructor(private readonly o: ServerOptions) {
    this.token = o.token !== undefined ? new TokenCheck(o.token) : undefined;
    this.events = new EventStream(o.state, o.heartbeatMs);
    o.metrics.watchState(o.state, () => this.events.size);
    const get = (path: string, route: Route) => this.router.on("GET", path, route as never);
    get("/", (req, res, _p, q) => this.page(req, res, q, "index.html"));
    get("/app.js", (req, res, _p, q) => this.page(req, res, q, "app.js"));
    get("/healthz", (_req, res) => this.healthz(res));
    get("/metrics", async (_req, res) => send(res, 200, await o.metrics.text(), o.metrics.contentType));
    get("/v1/services", (_req, res, _p, q) => this.list(res, q, "services"));
    get("/v1/services/:name", (_req, res, p, q) => this.service(res, p.name ?? "", q));
    get("/v1/instances", (_req, res, _p, q) => this.list(res, q, "instances"));
    get("/v1/prometheus-sd", (_req, res, _p, q) => this.list(res, q, "prometheus-sd"));
    get("/v1/events", (req, res, _p, q) => this.sse(req, res, q));
    get("/v1/hosts", (_req, res) => this.hosts(res));
    get("/v1/changes", (_req, res, _p, q) => this.changes(res, q));
    get("/v1/refusals", (_req, res) => send(res, 200, JSON.stringify(this.o.state.refusals())));
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 65_000;
    const limit = new ConnectionLimit(o.maxConnections ?? DEFAULT_MAX_CONNECTIONS, (outcome) => o.metrics.connectionClosed(outcome));
    limit.attach(this.server);
    o.metrics.watchConnections(() => limit.size, limit.max);
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host, port }, () => {
        this.server.off("error", reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    this.events.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseTarget(req.url ?? "/");
    if (!target) return sendError(res, 400, "bad_request", "the request target is not a path");
    const { pathname, query, authority } = target;
    try {
      // Without a token only loopback may answer: a page on another name (DNS rebinding) gets nothing.
      if (!this.token && !loopbackAuthority(authority ?? req.headers.host)) {
        return sendError(res, 403, "host_not_allowed", "this catalog answers only requests addressed to a loopback name (127.0.0.1, [::1], localhost); give it --token to serve other names");
      }
      const found = this.router.find("GET", pathname);
      if (!found) return sendError(res, 404, "not_found", `no route ${pathname}`);
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD");
        return sendError(res, 405, "method_not_allowed", `${pathname} takes GET or HEAD`);
      }
      if (this.token && pathname !== "/healthz" && !this.token.allows(req) && !(pathname === "/" && query.has("token"))) {
        res.setHeader("www-authenticate", 'Bearer realm="portolan"');
        return sendError(res, 401, "unauthorized", "a bearer token is required (Authorization: Bearer …; the page: /?token=…)");
      }
      await (found.handler as unknown as Route)(req, res, found.params, query);
    } catch (err) {
      if (err instanceof InvalidParameterError) return sendError(res, 400, "invalid_parameter", err.message, { parameter: err.parameter });
      this.o.logger.error({ err: err instanceof Error ? err.message : String(err), path: pathname }, "catalog request failed");
      if (!res.headersSent) sendError(res, 500, "internal", "internal error");
      else res.destroy();
    }
  }

  /** 503 when the API cannot vouch for its data: no snapshot yet, or the backend does not answer. */
  private unavailable(res: ServerResponse): boolean {
    const s = this.o.state;
    if (s.loaded && s.backend !== "down") return false;
    sendError(res, 503, "backend_unavailable", s.loaded ? `backend unreachable${s.backendError ? `: ${s.backendError}` : ""}` : "waiting for the backend's first snapshot", { backend: s.backend });
    return true;
  }

  private list(res: ServerResponse, q: Query, what: "services" | "instances" | "prometheus-sd"): void {
    const f = parseFilter(q.entries());
    if (what === "services" && f.service !== undefined) throw new InvalidParameterError({ parameter: "service", message: "use /v1/services/NAME" });
    if (this.unavailable(res)) return;
    const s = this.o.state;
    // Only the unfiltered lists are cached (three bodies at most: memory stays bounded whatever the queries).
    const key = Object.keys(f).length === 0 ? what : undefined;
    const hit = key === undefined ? undefined : this.cache.get(key);
    if (hit && hit.generation === s.generation) return send(res, 200, hit.body);
    const all = s.instances();
    let body: string;
    if (what === "services") body = JSON.stringify(servicesDocument(s, f));
    else if (what === "instances") body = JSON.stringify({ version: s.version, instances: all.filter((i) => matches(i, f)) });
    else body = JSON.stringify(prometheusTargets(all.filter((i) => matches(i, f))));
    if (key !== undefined) this.cache.set(key, { generation: s.generation, body });
    send(res, 200, body);
  }

  private service(res: ServerResponse, name: string, q: Query): void {
    const f = { ...parseFilter(q.entries()), service: parseFilter([["service", name]]).service };
    if (this.unavailable(res)) return;
    const doc = serviceDocument(this.o.state, name, f);
    if (!doc) return sendError(res, 404, "unknown_service", `no service named ${JSON.stringify(name)}`, { service: name });
    send(res, 200, JSON.stringify(doc));
  }

  private hosts(res: ServerResponse): void {
    if (this.unavailable(res)) return;
    send(res, 200, JSON.stringify({ version: this.o.state.version, hosts: hostsOf(this.o.state.instances()) }));
  }

  /** The recent changes, newest first (`limit`: at most that many). Served while the backend is down too: it is history. */
  private changes(res: ServerResponse, q: Query): void {
    const raw = q.get("limit");
    const limit = raw === null ? undefined : Number(raw);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0 && /^\d+$/.test(raw!))) throw new InvalidParameterError({ parameter: "limit", message: `expected a whole number, got ${JSON.stringify(raw)}` });
    send(res, 200, JSON.stringify({ version: this.o.state.version, changes: this.o.state.recentChanges(limit) }));
  }

  private healthz(res: ServerResponse): void {
    const s = this.o.state;
    const ok = s.loaded && s.backend === "up";
    send(res, ok ? 200 : 503, JSON.stringify({ status: ok ? "ok" : "unavailable", backend: s.backend, loaded: s.loaded, version: s.version }));
  }

  private sse(req: IncomingMessage, res: ServerResponse, q: Query): void {
    const header = req.headers["last-event-id"];
    const last = (Array.isArray(header) ? header[0] : header) ?? q.get("lastEventId") ?? undefined;
    // HEAD: the stream's headers only; it is not a client.
    if (req.method === "HEAD") return void res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" }).end();
    this.events.handle(req, res, last);
  }

  private page(req: IncomingMessage, res: ServerResponse, q: Query, file: "index.html" | "app.js"): void {
    const token = q.get("token");
    if (file === "index.html" && token !== null && this.token) {
      if (!this.token.matches(token)) return sendError(res, 401, "unauthorized", "wrong token");
      // Keep the token out of the address bar (and history): set the cookie, then load the page without it.
      res.writeHead(303, { location: "/", "set-cookie": `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` });
      return void res.end();
    }
    const page = this.o.page;
    if (!page) return sendError(res, 500, "page_missing", "the page was not built (npm run build)");
    const body = file === "index.html" ? page.html : page.js;
    res.writeHead(200, {
      "content-type": file === "index.html" ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8",
      "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
      "x-content-type-options": "nosniff",
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }
}

/**
 * The path and query of a request target: origin-form ("/path?query") or absolute-form ("http://host/path",
 * whose authority then stands for Host); undefined for anything else ("*", garbage).
 */
export function parseTarget(raw: string): { pathname: string; query: URLSearchParams; authority?: string } | undefined {
  let path = raw;
  let authority: string | undefined;
  if (!raw.startsWith("/")) {
    if (!/^https?:\/\//i.test(raw)) return undefined;
    try {
      const u = new URL(raw);
      authority = u.host;
      path = `${u.pathname}${u.search}`;
    } catch {
      return undefined;
    }
  }
  const q = path.indexOf("?");
  return { pathname: q < 0 ? path : path.slice(0, q), query: new URLSearchParams(q < 0 ? "" : path.slice(q + 1)), authority };
}

function send(res: ServerResponse, status: number, body: string, type = "application/json; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  send(res, status, JSON.stringify({ error: { code, message, ...extra } }));
}
