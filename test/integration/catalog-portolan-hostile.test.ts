// portolan:// pointed at a server that is not a sane portolan: its first event stream is one endless line (as a
// misconfigured or hostile server could send). The client must give that stream up at a bounded size and
// reconnect, and then show what the next stream says, instead of buffering forever. Then other servers that are
// no portolan catalog: one answering HTML, one that never answers, one sending malformed events, one closing the
// stream in the middle of an event: each is said for what it is, promptly, with the address.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, stopProcess } from "./catalog-support.js";
import { assertBuilt, CLI, startCli } from "./cli.js";
import { eventually } from "./docker.js";

/** The CLI as a child, without blocking this process (the server it talks to runs here). */
function runCliAsync(args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const instance = { id: "h:h-web:80", name: "hostileweb", address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h" };

let server: Server;
let port = 0;
let streams = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    // HEAD /v1/events (the start-up probe): headers only, as a portolan catalog answers it.
    if (req.method === "HEAD") return void res.writeHead(200, { "content-type": "text/event-stream" }).end();
    if (req.url !== "/v1/events") return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (++streams > 1) return void res.write(`id: x-1\nevent: snapshot\ndata: ${JSON.stringify({ version: 1, instances: [instance] })}\n\n`);
    // The first stream: "data: aaaa…" without end, as fast as the client reads.
    const chunk = "a".repeat(256 * 1024);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on("drain", pump);
    res.write("data: ");
    pump();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as { port: number }).port;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("portolan:// against an endless event stream", () => {
  it("0_catalog gives the endless stream up, reconnects and prints the next snapshot", async () => {
    const r = await runCliAsync(["catalog", "--registry", `portolan://127.0.0.1:${port}`, "--json", "--timeout", "60s"], 90_000);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toMatchObject({ services: [{ name: "hostileweb", passing: 1 }] });
    expect(streams).toBeGreaterThanOrEqual(2);
  });
});

/** A loopback HTTP server for one case; closed after the file. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  others.push(s);
  return `127.0.0.1:${(s.address() as { port: number }).port}`;
}
const others: Server[] = [];
afterAll(() => {
  for (const s of others) {
    s.closeAllConnections();
    s.close();
  }
});

const eventStream = (res: Parameters<Parameters<typeof createServer>[1] & object>[1]) => res.writeHead(200, { "content-type": "text/event-stream" });
const snapshotEvent = `id: s-1\nevent: snapshot\ndata: ${JSON.stringify({ version: 1, instances: [instance] })}\n\n`;

describe("portolan:// against servers that are not a portolan catalog", () => {
  it("0_an HTML server: catalog exits 69 at once, 'not a portolan catalog'", async () => {
    const where = await serve((_req, res) => void res.writeHead(200, { "content-type": "text/html" }).end("<html>hello</html>"));
    const t0 = Date.now();
    const r = await runCliAsync(["catalog", "--registry", `portolan://${where}`], 30_000);
    expect(r.code, r.stderr).toBe(69);
    expect(Date.now() - t0).toBeLessThan(5_000); // was: the full --timeout, 10 s
    expect(r.stderr).toContain(`${where}/v1/events: not a portolan catalog`);
  });

  it("1_a server that accepts and never answers: catalog gives up at its --timeout", async () => {
    const where = await serve(() => {});
    const t0 = Date.now();
    const r = await runCliAsync(["catalog", "--registry", `portolan://${where}`, "--timeout", "2s"], 30_000);
    expect(r.code, r.stderr).toBe(69);
    expect(Date.now() - t0).toBeLessThan(4_500);
    // The request's own timeout and the access check's bound are both --timeout: either may say it, naming the server.
    expect(r.stderr).toMatch(new RegExp(`${where}(/v1/events)?: no answer (to the access check )?within 2000 ms`));
  });

  it("2_malformed events are named in the log: data that is not JSON, a snapshot without its instances list", async () => {
    let n = 0;
    const where = await serve((req, res) => {
      eventStream(res);
      if (req.method === "HEAD") return void res.end();
      res.end(++n % 2 === 1 ? "event: snapshot\ndata: {nope\n\n" : 'event: snapshot\ndata: {"instances": 5}\n\n');
    });
    const r = await runCliAsync(["catalog", "--registry", `portolan://${where}`, "--timeout", "2s"], 30_000, { PORTOLAN_LOG_LEVEL: "warn" });
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr).toContain(`${where}/v1/events: a snapshot event whose data is not JSON`);
    expect(r.stderr).toContain(`${where}/v1/events: a snapshot event without the expected instances`);
  });

  it("3_a stream closed in the middle of an event: said with the address, then the next stream is read", async () => {
    let n = 0;
    const where = await serve((req, res) => {
      eventStream(res);
      if (req.method === "HEAD") return void res.end();
      if (++n > 1) return void res.write(snapshotEvent);
      res.write(snapshotEvent.slice(0, 40));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const r = await runCliAsync(["catalog", "--registry", `portolan://${where}`, "--json", "--timeout", "20s"], 30_000, { PORTOLAN_LOG_LEVEL: "warn" });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ services: [{ name: "hostileweb", passing: 1 }] });
    expect(r.stderr).toContain(`${where}/v1/events: the server closed the connection in the middle of an answer`);
  });
});

describe("portolan:// whose server starts refusing the token while running", () => {
  it("0_catalog serve logs it once at error level, keeps retrying, and its /healthz says unavailable", async () => {
    let streams = 0;
    const where = await serve((req, res) => {
      if (req.url === "/healthz") return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      if (req.method === "HEAD") return void eventStream(res).end();
      // The first stream: a snapshot, then the server "restarts" with another token: 401 from then on.
      if (++streams === 1) return void eventStream(res).end(snapshotEvent);
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":{"code":"unauthorized"}}');
    });
    const p = startCli(["catalog", "serve", "--registry", `portolan://${where}`, "--listen", "127.0.0.1:0", "--log-format", "json"], { PORTOLAN_CATALOG_TOKEN: "hostile-test-token-1" });
    try {
      const listen = await eventually("listening", () => /catalog listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.logs())?.[1], 20_000);
      await eventually("three refused streams", () => streams >= 4, 20_000);
      await eventually("/healthz 503", async () => (await get(`${listen}/healthz`)).status === 503, 10_000);
      // One error line (not a warning per attempt), and the catalog's own "backend unreachable" once.
      const lines = p.logs().split("\n").filter((l) => l.includes("PORTOLAN_CATALOG_TOKEN")).map((l) => JSON.parse(l) as { level: number; msg: string; operation?: string });
      expect(lines.filter((l) => l.level === 50), JSON.stringify(lines)).toEqual([expect.objectContaining({ operation: "watch" })]);
      expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining("HTTP 401"), "backend unreachable"]);
      expect(p.logs()).not.toContain("hostile-test-token-1");
    } finally {
      await stopProcess(p);
    }
  });
});
