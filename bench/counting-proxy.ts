// A loopback HTTP proxy in front of a Consul agent that counts every request and the bytes of every answer, by
// endpoint, so a bench or a test can say what a process asked of the backend. A request with `index=` in its query
// is a blocking query (a long poll); the others are reads and writes.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Tally {
  requests: number;
  bytes: number;
}

export interface Counts {
  /** Every request (long polls included). */
  total: Tally;
  /** Blocking queries (their answers, each re-armed by the watcher). */
  polls: Tally;
  /** Everything that is not a blocking query. */
  reads: Tally;
  /** "GET /v1/health/service/*" style keys (the service name replaced by "*"). */
  byEndpoint: Record<string, Tally>;
  /** "GET /v1/health/service/web": each path (no query). */
  byPath: Record<string, Tally>;
}

/** "GET /v1/health/service/web?index=3" -> "GET /v1/health/service/*" (names of services, IDs, checks collapsed). */
export function endpointKey(method: string, url: string): string {
  const path = url.split("?")[0] ?? "";
  const collapsed = path.replace(/^(\/v1\/(?:health\/service|catalog\/service|agent\/service|agent\/check\/update|agent\/service\/deregister|health\/checks|catalog\/node-services))\/.+$/, "$1/*");
  return `${method} ${collapsed}`;
}

/** The `n` endpoints asked most, "3 /v1/health/service/*, 1 /v1/status/leader" (GET left out). */
export function topEndpoints(c: Counts, n = 3): string {
  return Object.entries(c.byEndpoint)
    .sort((x, y) => y[1].requests - x[1].requests)
    .slice(0, n)
    .map(([k, t]) => `${t.requests} ${k.replace(/^GET /, "")}`)
    .join(", ");
}

export class CountingProxy {
  private server: http.Server | undefined;
  private counts: Counts = emptyCounts();
  /** Blocking queries in flight now (a whole-catalog watch: catalog/services and one per service, or health/state/any). */
  openPolls = 0;
  /** The same, by path ("GET /v1/health/service/web"). */
  readonly openByPath = new Map<string, number>();
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on 127.0.0.1 (`port`, or a free one); returns "127.0.0.1:PORT". */
  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => this.forward(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What was counted since the last take() (live: it goes on counting). */
  peek(): Readonly<Counts> {
    return this.counts;
  }

  /** What was counted since the last take(), and starts counting afresh. */
  take(): Counts {
    const c = this.counts;
    this.counts = emptyCounts();
    return c;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.agent.destroy();
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? "/";
    const blocking = /[?&]index=[1-9]/.test(url);
    const key = endpointKey(req.method ?? "GET", url);
    const path = `${req.method ?? "GET"} ${url.split("?")[0] ?? ""}`;
    const opened = (n: number) => {
      this.openPolls += n;
      this.openByPath.set(path, (this.openByPath.get(path) ?? 0) + n);
      if (this.openByPath.get(path) === 0) this.openByPath.delete(path);
    };
    if (blocking) opened(1);
    let open = blocking;
    const closed = () => {
      if (open) opened(-1);
      open = false;
    };
    res.on("close", closed);
    const up = http.request(
      { host: this.target.host, port: this.target.port, method: req.method, path: url, headers: req.headers, agent: this.agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        let bytes = 0;
        answer.on("data", (c: Buffer) => {
          bytes += c.length;
          res.write(c);
        });
        answer.on("end", () => {
          res.end();
          this.count(key, path, blocking, bytes);
        });
      },
    );
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // The watcher went away (an aborted long poll): end the upstream request too.
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  private count(key: string, path: string, blocking: boolean, bytes: number): void {
    const c = this.counts;
    for (const t of [c.total, blocking ? c.polls : c.reads, (c.byEndpoint[key] ??= { requests: 0, bytes: 0 }), (c.byPath[path] ??= { requests: 0, bytes: 0 })]) {
      t.requests++;
      t.bytes += bytes;
    }
  }
}

function emptyCounts(): Counts {
  return { total: { requests: 0, bytes: 0 }, polls: { requests: 0, bytes: 0 }, reads: { requests: 0, bytes: 0 }, byEndpoint: {}, byPath: {} };
}
