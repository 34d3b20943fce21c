import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { ConsulHttp, ConsulHttpStatusError, MAX_IN_FLIGHT } from "../../adapters/consul/http.js";

// A loopback stand-in for the agent's HTTP API that compresses as Consul's does (gziphandler): only when the
// request accepts gzip. It records what each request accepted and how many body bytes it sent.
interface Served {
  acceptEncoding: string | undefined;
  bytes: number;
}

let server: http.Server | undefined;
let client: ConsulHttp | undefined;

async function agent(answer: (req: http.IncomingMessage) => { status: number; body: string; gzip?: "valid" | "corrupt" }): Promise<{ served: Served[]; port: number }> {
  const served: Served[] = [];
  server = http.createServer((req, res) => {
    const a = answer(req);
    const accepts = /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
    const headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "x-consul-index": "7" };
    let payload = Buffer.from(a.body);
    if (accepts && a.gzip) {
      headers["content-encoding"] = "gzip";
      payload = a.gzip === "valid" ? gzipSync(payload) : Buffer.from("not gzip at all");
    }
    served.push({ acceptEncoding: req.headers["accept-encoding"], bytes: payload.length });
    res.writeHead(a.status, headers).end(payload);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { served, port: (server.address() as AddressInfo).port };
}

function connect(port: number): ConsulHttp {
  client = new ConsulHttp({ host: "127.0.0.1", port, secure: false, token: undefined });
  return client;
}

afterEach(async () => {
  client?.destroy();
  client = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

// 40 health entries of one service: the size of a real answer, and as repetitive.
const entries = Array.from({ length: 40 }, (_, k) => ({
  Node: { Node: "node-1", Address: "127.0.0.1", Datacenter: "dc1", TaggedAddresses: { lan: "127.0.0.1", wan: "127.0.0.1" } },
  Service: { ID: `host:web-${k}:80`, Service: "web", Tags: ["a", "b"], Address: "127.0.0.1", Port: 20_000 + k, Meta: { portolan_owner: "host" } },
  Checks: [{ CheckID: "serfHealth", Status: "passing", Output: "Agent alive and reachable" }],
}));

describe("ConsulHttp: compressed answers", () => {
  it("asks for gzip and decodes a compressed answer: the same JSON and index, in a fraction of the bytes", async () => {
    const plain = JSON.stringify(entries);
    const { served, port } = await agent(() => ({ status: 200, body: plain, gzip: "valid" }));
    const r = await connect(port).request<typeof entries>("GET", "/health/service/web", { timeoutMs: 2000 });
    expect(served[0]!.acceptEncoding).toContain("gzip");
    expect(r.body).toEqual(entries);
    expect(r.index).toBe(7);
    expect(served[0]!.bytes).toBeLessThan(plain.length / 5);
  });

  it("reads an answer sent uncompressed (an agent or proxy that does not compress)", async () => {
    const { port } = await agent(() => ({ status: 200, body: JSON.stringify(entries) }));
    const r = await connect(port).request<typeof entries>("GET", "/health/service/web", { timeoutMs: 2000 });
    expect(r.body).toEqual(entries);
  });

  it("an error status's compressed text is decoded into the error", async () => {
    const { port } = await agent(() => ({ status: 403, body: `Permission denied: token lacks permission 'service:read' on "web"`, gzip: "valid" }));
    const err = await connect(port).request("GET", "/health/service/web", { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsulHttpStatusError);
    expect((err as ConsulHttpStatusError).text).toContain("lacks permission 'service:read'");
  });

  it("a body that claims gzip but is not is a clear error naming the request, not a crash or a hang", async () => {
    const { port } = await agent(() => ({ status: 200, body: "[]", gzip: "corrupt" }));
    const err = await connect(port).request("GET", "/health/service/web", { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/GET \/health\/service\/web: .*gzip/);
  });
});

describe("ConsulHttp: long polls side by side", () => {
  it("0_a_request_per_service_poll_is_in_flight_at_once_none_queued_behind_another", async () => {
    // The agent holds every request until 150 are waiting, as blocking queries wait: a socket cap would deadlock here.
    const POLLS = 150;
    const held: http.ServerResponse[] = [];
    let most = 0;
    server = http.createServer((_req, res) => {
      held.push(res);
      most = Math.max(most, held.length);
      if (held.length === POLLS) for (const r of held.splice(0)) r.writeHead(200, { "content-type": "application/json", "x-consul-index": "8" }).end("[]");
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const c = connect((server.address() as AddressInfo).port);
    const answers = await Promise.all(Array.from({ length: POLLS }, (_, n) => c.request("GET", `/health/service/s${n}`, { query: { index: "7", wait: "60s" }, timeoutMs: 10_000, longPoll: true })));
    expect(answers.every((a) => a.index === 8)).toBe(true);
    expect(most).toBe(POLLS);
  });
});

describe("ConsulHttp: an agent slower than the request timeout", () => {
  it("0_requests_given_up_on_keep_their_place_until_the_agent_answers:_never_more_than_MAX_IN_FLIGHT_connections", async () => {
    // The agent holds every request (as an overloaded one does) until told; each given-up request stays counted.
    const held: http.ServerResponse[] = [];
    let open = 0;
    let most = 0;
    server = http.createServer((_req, res) => {
      held.push(res);
      most = Math.max(most, ++open);
      res.on("close", () => open--);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const c = connect((server.address() as AddressInfo).port);
    const n = MAX_IN_FLIGHT + 8;
    const settled: Array<Promise<unknown>> = Array.from({ length: n }, (_, k) => c.request("PUT", `/agent/service/register`, { body: { ID: `s${k}` }, timeoutMs: 150 }).catch((e: unknown) => e));
    const first = await Promise.all(settled.slice(0, MAX_IN_FLIGHT));
    expect(first.every((e) => (e as NodeJS.ErrnoException).code === "ETIMEDOUT")).toBe(true);
    // Their caller was told; the agent still holds them, and the rest wait for a place instead of a new connection.
    await new Promise((r) => setTimeout(r, 300));
    expect([held.length, c.busy]).toEqual([MAX_IN_FLIGHT, MAX_IN_FLIGHT]);
    for (const r of held.splice(0)) r.writeHead(200, { "content-type": "application/json" }).end("null");
    // The agent answered: the waiting ones go, and (still held) time out in their turn.
    const rest = await Promise.all(settled.slice(MAX_IN_FLIGHT));
    expect(rest.every((e) => (e as NodeJS.ErrnoException).code === "ETIMEDOUT")).toBe(true);
    expect(most).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    for (const r of held.splice(0)) r.writeHead(200, { "content-type": "application/json" }).end("null");
    await new Promise((r) => setTimeout(r, 100));
    expect(c.busy).toBe(0);
  });

  it("1_long_polls_are_not_counted", async () => {
    server = http.createServer(() => {});
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const c = connect((server.address() as AddressInfo).port);
    for (let k = 0; k < MAX_IN_FLIGHT + 4; k++) void c.request("GET", `/health/service/s${k}`, { query: { index: "7", wait: "60s" }, timeoutMs: 60_000, longPoll: true }).catch(() => {});
    const answered = await c.request("GET", "/status/leader", { timeoutMs: 100 }).catch((e: unknown) => (e as NodeJS.ErrnoException).code);
    // Sent at once (it timed out at the agent, not waiting for a place).
    expect(answered).toBe("ETIMEDOUT");
    expect(c.busy).toBe(1);
  });
});
