// HeldEntries (adapters/consul/held.ts): when the agent closes an idle connection (it stopped), the entries not
// heartbeated since their registration — which a restarted agent restores critical — are heartbeated as soon as it
// answers again; nothing is asked before that signal, and a registry with nothing registered asks nothing at all.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ConsulClient } from "../../adapters/consul/client.js";
import { HeldEntries, RECOVER_WAIT_MS, withHealth } from "../../adapters/consul/held.js";
import { ConsulHttp } from "../../adapters/consul/http.js";
import type { ConsulServiceRegistration } from "../../adapters/consul/types.js";
import { silentLogger } from "../../src/core/log.js";
import { FakeClock, settle } from "../support/fake-clock.js";

const reg = (id: string): ConsulServiceRegistration => ({
  ID: id,
  Name: "web",
  Address: "10.0.0.1",
  Port: 80,
  Tags: [],
  Meta: {},
  Checks: [{ CheckID: `portolan:${id}:health`, Name: "h", TTL: "600s", Status: "passing" }],
});

function setup() {
  const clock = new FakeClock();
  const stop = new AbortController();
  const calls: string[] = [];
  let up = true;
  const held = new HeldEntries({
    answers: async () => {
      calls.push("leader");
      if (!up) throw new Error("ECONNREFUSED");
    },
    heartbeat: async (id) => void calls.push(`beat ${id}`),
    logger: silentLogger(),
    signal: stop.signal,
    clock,
    backoff: { initialMs: 100, maxMs: 100, jitter: 0 },
  });
  return { clock, stop, calls, held, setUp: (v: boolean) => (up = v) };
}

describe("HeldEntries after the agent closed an idle connection", () => {
  it("0_waits for the agent, then heartbeats only the entries never heartbeated since registration", async () => {
    const s = setup();
    for (const id of ["a", "b", "c"]) s.held.registered(reg(id), "passing");
    s.held.beaten("b", "passing", "ok");
    s.held.registered(reg("d"), "critical");
    s.held.removed("c");
    expect(s.calls).toEqual([]); // nothing asked before the signal
    s.setUp(false);
    s.held.agentGone();
    s.held.agentGone(); // one recovery at a time
    await settle();
    expect(s.calls).toEqual(["leader"]);
    await s.clock.advance(100);
    expect(s.calls).toEqual(["leader", "leader"]);
    s.setUp(true);
    await s.clock.advance(100);
    await s.held.settled();
    expect(s.calls.slice(3).sort()).toEqual(["beat a", "beat d"]);
    expect(s.calls.slice(0, 3)).toEqual(["leader", "leader", "leader"]);
    expect(s.held.restarts).toBe(2);
  });

  it("1_nothing registered: the signal costs nothing", async () => {
    const s = setup();
    s.held.agentGone();
    await s.held.settled();
    expect(s.calls).toEqual([]);
  });

  it("2_an agent that does not come back within the wait is left to the resync", async () => {
    const s = setup();
    s.held.registered(reg("a"), "passing");
    s.setUp(false);
    s.held.agentGone();
    await s.clock.advance(RECOVER_WAIT_MS + 1_000);
    await s.held.settled();
    expect(s.calls.every((c) => c === "leader")).toBe(true);
    const asked = s.calls.length;
    await s.clock.advance(10_000);
    expect(s.calls.length).toBe(asked);
  });

  it("3_withHealth sets only portolan's health check", () => {
    const r = { ...reg("a"), Checks: [{ CheckID: "user", Name: "u", TTL: "10s", Status: "passing" as const }, ...reg("a").Checks] };
    expect(withHealth(r, "portolan:a:health", "critical").Checks.map((c) => c.Status)).toEqual(["passing", "critical"]);
  });
});

describe("ConsulHttp: an idle keep-alive connection the server ends is reported; one in use, or ours, is not", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it("0_server_ends_an_idle_connection", async () => {
    const sockets = new Set<import("node:net").Socket>();
    server = createServer((_, res) => res.end("{}"));
    server.on("connection", (s) => sockets.add(s));
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    let gone = 0;
    const client = new ConsulHttp({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, secure: false, token: undefined }, () => gone++);
    await client.request("GET", "/status/leader", { timeoutMs: 2000 });
    await client.request("GET", "/status/leader", { timeoutMs: 2000 });
    await settle();
    expect(gone).toBe(0);
    for (const s of sockets) s.end(); // the agent stops: its idle connections are closed
    for (let i = 0; i < 50 && gone === 0; i++) await settle();
    expect(gone).toBe(1);
    await client.request("GET", "/status/leader", { timeoutMs: 2000 }); // a new connection
    await settle();
    client.destroy(); // ours: not reported
    for (let i = 0; i < 10; i++) await settle();
    expect(gone).toBe(1);
  });
});

describe("ConsulClient: a request the agent refuses to connect is reported as the agent gone", () => {
  it("0_connection_refused", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r)); // nothing listens there now
    let gone = 0;
    const client = new ConsulClient({ host: "127.0.0.1", port, requestTimeoutMs: 2000, logger: silentLogger(), onAgentGone: () => gone++ });
    await expect(client.statusLeader()).rejects.toThrow();
    expect(gone).toBe(1);
    client.destroy();
  });
});
