// The shim over real sockets with real clients: dig, Node's resolver (c-ares), dnsmasq forwarding to it.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRegistry } from "../../adapters/memory/index.js";
import { decode, makeQuery, sorted, tcpExchange, udpExchange } from "../support/dns.js";
import { until } from "../support/until.js";
import { dig, instance, shim } from "./dns-support.js";

const registry = createMemoryRegistry();
let dns: Awaited<ReturnType<typeof shim>>;

beforeAll(async () => {
  await registry.register(instance("web", 1, { tags: ["primary"] }));
  await registry.register(instance("web", 2));
  await registry.register(instance("db", 3, { address: "fd00::3" }));
  await registry.register(instance("down", 4, { health: "critical" }));
  for (let i = 0; i < 25; i++) await registry.register(instance("big", 100 + i));
  dns = await shim(registry, { tcpIdleMs: 500, maxTcpConnections: 8 });
  await until("the catalog to reach the shim", () => dns.server.stats().catalogVersion >= 29, 5000);
});

afterAll(async () => {
  await dns?.close();
  await registry.close();
});

describe("dig", () => {
  it("0_A over UDP, case-insensitive, authoritative", async () => {
    const r = await dig(dns.port, "WeB.Service.Consul", "A");
    expect(r.status).toBe("NOERROR");
    expect(r.flags).toContain("aa");
    expect(sorted(r.answer)).toEqual(["WeB.Service.Consul. 0 IN A 10.9.0.1", "WeB.Service.Consul. 0 IN A 10.9.0.2"]);
  });

  it("1_SRV over TCP with targets in Additional", async () => {
    const r = await dig(dns.port, "_web._tcp.service.consul", "SRV", "+tcp");
    expect(sorted(r.answer)).toEqual(["_web._tcp.service.consul. 0 IN SRV 1 1 2001 0a090001.addr.dc1.consul.", "_web._tcp.service.consul. 0 IN SRV 1 1 2002 0a090002.addr.dc1.consul."]);
    expect(sorted(r.additional)).toEqual(["0a090001.addr.dc1.consul. 0 IN A 10.9.0.1", "0a090002.addr.dc1.consul. 0 IN A 10.9.0.2"]);
  });

  it("2_+norec: answered, RD not echoed", async () => {
    const r = await dig(dns.port, "primary.web.service.consul", "A", "+norec");
    expect(r.flags).not.toContain("rd");
    expect(r.answer).toEqual(["primary.web.service.consul. 0 IN A 10.9.0.1"]);
  });

  it("3_+noedns: no OPT; 25 SRV records do not fit 512 bytes: TC (dig +ignore keeps the UDP answer)", async () => {
    const r = await dig(dns.port, "big.service.consul", "SRV", "+noedns", "+ignore");
    expect(r.flags).toContain("tc");
    expect(r.answer.length).toBeLessThan(25);
    expect(r.text).not.toContain("OPT PSEUDOSECTION");
  });

  it("4_+bufsize=4096: all 25 over UDP, no TC", async () => {
    const r = await dig(dns.port, "big.service.consul", "SRV", "+bufsize=4096", "+ignore");
    expect(r.flags).not.toContain("tc");
    expect(r.answer).toHaveLength(25);
    expect(r.additional).toHaveLength(25);
    expect(r.text).toMatch(/EDNS: version: 0, flags:; udp: 4096/);
  });

  it("5_truncated UDP makes dig retry over TCP and get everything", async () => {
    const r = await dig(dns.port, "big.service.consul", "SRV", "+bufsize=512");
    expect(r.text).toMatch(/Truncated, retrying in TCP mode/);
    expect(r.answer).toHaveLength(25);
  });

  it("6_NXDOMAIN and NODATA carry the SOA; AAAA; PTR", async () => {
    const soa = /^consul\. 0 IN SOA ns\.consul\. hostmaster\.consul\. \d+ 3600 600 86400 0$/;
    const nx = await dig(dns.port, "down.service.consul", "A");
    expect(nx.status).toBe("NXDOMAIN");
    expect(nx.authority[0]).toMatch(soa);
    const nodata = await dig(dns.port, "web.service.consul", "AAAA");
    expect([nodata.status, nodata.answer.length]).toEqual(["NOERROR", 0]);
    expect(nodata.authority[0]).toMatch(soa);
    expect((await dig(dns.port, "db.service.consul", "AAAA")).answer).toEqual(["db.service.consul. 0 IN AAAA fd00::3"]);
    expect((await dig(dns.port, "1.0.9.10.in-addr.arpa", "PTR")).answer).toEqual(["1.0.9.10.in-addr.arpa. 0 IN PTR web.service.dc1.consul."]);
  });

  it("7_outside the domain: REFUSED", async () => {
    expect((await dig(dns.port, "example.com", "A")).status).toBe("REFUSED");
  });
});

describe("Node's resolver (c-ares)", () => {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  beforeAll(() => resolver.setServers([`127.0.0.1:${dns.port}`]));

  it("0_resolve4 and resolveSrv", async () => {
    expect((await resolver.resolve4("web.service.consul")).sort()).toEqual(["10.9.0.1", "10.9.0.2"]);
    const srv = await resolver.resolveSrv("_web._tcp.service.consul");
    expect(srv.map((s) => `${s.name}:${s.port}`).sort()).toEqual(["0a090001.addr.dc1.consul:2001", "0a090002.addr.dc1.consul:2002"]);
    expect(await resolver.resolve4(srv[0]!.name)).toHaveLength(1);
  });

  it("1_more than fits in 512 bytes: all 25 (c-ares retries over TCP after TC)", async () => {
    const srv = await resolver.resolveSrv("big.service.consul");
    expect(new Set(srv.map((s) => s.port)).size).toBe(25);
    expect(await resolver.resolve4("big.service.consul")).toHaveLength(25);
  });

  it("2_NXDOMAIN is ENOTFOUND, NODATA is ENODATA", async () => {
    await expect(resolver.resolve4("nope.service.consul")).rejects.toMatchObject({ code: "ENOTFOUND" });
    await expect(resolver.resolve6("web.service.consul")).rejects.toMatchObject({ code: "ENODATA" });
  });

  it("3_a registration is answered within 1 s, a deregistration is gone within 1 s", async () => {
    const t0 = Date.now();
    await registry.register(instance("late", 7));
    await until("late to resolve", async () => (await resolver.resolve4("late.service.consul").catch(() => [])).length === 1, 1000, 10);
    await registry.deregister({ id: instance("late", 7).id, name: "late" });
    await until("late to be gone", async () => (await resolver.resolve4("late.service.consul").catch(() => [])).length === 0, 1000, 10);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe("TCP", () => {
  it("0_pipelining: 100 queries in one write, 100 answers with their IDs", async () => {
    const msgs = Array.from({ length: 100 }, (_, i) => makeQuery(i % 2 ? "web.service.consul" : "big.service.consul", "A", { id: i + 1 }));
    const replies = await tcpExchange(dns.port, msgs, 5000);
    expect(replies.map((r) => decode(r).id).sort((a, b) => a - b)).toEqual(msgs.map((_, i) => i + 1));
    expect(decode(replies[0]!).answer).toHaveLength(25);
  });

  it("1_a client that sends part of a query is closed after the idle timeout", async () => {
    const before = dns.server.stats().tcp.closedIdle;
    const sock = connect({ host: "127.0.0.1", port: dns.port });
    const t0 = Date.now();
    const closed = new Promise<number>((resolve) => sock.on("close", () => resolve(Date.now() - t0)));
    sock.on("error", () => {});
    // Trickle a zero byte every 200 ms (empty frames, never a query): that does not keep it open.
    const trickle = setInterval(() => sock.write(Buffer.from([0])), 200);
    const ms = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 5000))]);
    clearInterval(trickle);
    sock.destroy();
    expect(ms).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(3000);
    expect(dns.server.stats().tcp.closedIdle).toBeGreaterThan(before);
  });

  it("2_connections are bounded; the server keeps answering", async () => {
    const socks = await Promise.all(
      Array.from({ length: 20 }, () => new Promise<ReturnType<typeof connect>>((resolve) => {
        const s = connect({ host: "127.0.0.1", port: dns.port }, () => resolve(s));
        s.on("error", () => {});
      })),
    );
    await until("extra connections to be closed", () => socks.filter((s) => s.destroyed || s.readableEnded).length >= 12, 3000);
    expect(dns.server.stats().tcp.open).toBeLessThanOrEqual(8);
    for (const s of socks) s.destroy();
    await until("connections to close", () => dns.server.stats().tcp.open === 0, 3000);
    expect((await dig(dns.port, "web.service.consul", "A", "+tcp")).answer).toHaveLength(2);
  });
});

describe("TCP, a client that never reads", () => {
  it("0_is closed once its unread answers pile up", async () => {
    const sock = connect({ host: "127.0.0.1", port: dns.port });
    sock.on("error", () => {});
    await new Promise<void>((r) => sock.on("connect", () => r()));
    sock.pause();
    await until("the server to hold the connection", () => dns.server.stats().tcp.open === 1, 5000);
    const q = makeQuery("big.service.consul", "SRV");
    const frame = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
    // 20,000 answers of ~2 KB: far more than the kernel's socket buffers and the 1 MiB allowed on top.
    for (let i = 0; i < 20; i++) sock.write(Buffer.concat(Array(1000).fill(frame)));
    await until("the server to drop the connection", () => dns.server.stats().tcp.open === 0, 20_000);
    sock.destroy();
    expect((await dig(dns.port, "web.service.consul", "A", "+tcp")).answer).toHaveLength(2);
  });
});

describe("recursors", () => {
  it("0_names outside the domain go to the recursor; a silent recursor gives SERVFAIL in bounded time", async () => {
    const inner = createMemoryRegistry();
    await inner.register(instance("ext", 9));
    const upstream = await shim(inner, { domain: "example.internal" });
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", () => r()));
    const fwd = await shim(registry, { recursors: [{ host: "127.0.0.1", port: upstream.port }], recursorTimeoutMs: 300 });
    const dead = await shim(registry, { recursors: [{ host: "127.0.0.1", port: silent.address().port }], recursorTimeoutMs: 300 });
    try {
      await until("upstream catalog", () => upstream.server.stats().catalogVersion > 0, 3000);
      const r = await dig(fwd.port, "ext.service.example.internal", "A");
      expect([r.status, r.answer]).toEqual(["NOERROR", ["ext.service.example.internal. 0 IN A 10.9.0.9"]]);
      expect((await dig(fwd.port, "ext.service.example.internal", "A", "+tcp")).answer).toHaveLength(1);
      expect((await dig(fwd.port, "web.service.consul", "A")).flags).toContain("ra");
      const t0 = Date.now();
      const d = decode(await udpExchange(dead.port, makeQuery("example.com", "A"), 3000));
      expect(d.rcode).toBe("SERVFAIL");
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(dead.server.stats().forwardFailures).toBe(1);
    } finally {
      silent.close();
      await Promise.all([fwd.close(), dead.close(), upstream.close()]);
      await inner.close();
    }
  });
});

describe("dnsmasq in front (server=/consul/127.0.0.1#PORT)", () => {
  let dnsmasq: ChildProcess | undefined;
  afterAll(() => dnsmasq?.kill());

  it("0_A and SRV through dnsmasq", async () => {
    const port = 18652;
    dnsmasq = spawn("dnsmasq", ["--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1", `--port=${port}`, "--pid-file=", "--user=root", `--server=/consul/127.0.0.1#${dns.port}`], { stdio: "ignore" });
    await until("dnsmasq to answer", async () => (await dig(port, "web.service.consul", "A").catch(() => undefined))?.status === "NOERROR", 10_000, 100);
    expect(sorted((await dig(port, "web.service.consul", "A")).answer)).toEqual(["web.service.consul. 0 IN A 10.9.0.1", "web.service.consul. 0 IN A 10.9.0.2"]);
    expect((await dig(port, "_web._tcp.service.consul", "SRV")).answer).toHaveLength(2);
    expect((await dig(port, "big.service.consul", "SRV")).answer).toHaveLength(25);
  });
});

describe("stats", () => {
  it("0_queries by type and rcode, cache hits, latency histogram", () => {
    const s = dns.server.stats();
    expect(s.byType["A"]).toBeGreaterThan(3);
    expect(s.byType["SRV"]).toBeGreaterThan(3);
    expect(s.byRcode["NXDOMAIN"]).toBeGreaterThan(0);
    expect(s.byRcode["REFUSED"]).toBeGreaterThan(0);
    expect(s.cache.hits).toBeGreaterThan(50);
    expect(s.latency.count).toBe(s.queries);
    expect(s.latency.counts.at(-1)).toBe(s.queries);
  });
});
