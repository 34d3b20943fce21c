// Socket fuzz: 100,000+ random and mutated packets over UDP and TCP at a running shim (TCP: pipelined frames,
// garbage, bogus lengths, half-sent frames). The server never crashes or logs a handling failure, slow TCP
// clients are closed on timeout, and afterwards it answers correctly over both transports.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { pino } from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRegistry } from "../../adapters/memory/index.js";
import { dnsOptions } from "../../src/dns/options.js";
import { DnsServer } from "../../src/dns/server.js";
import { decode, makeQuery, tcpExchange, udpExchange } from "../support/dns.js";
import { fuzzPacket, prng } from "../support/dns-fuzz.js";
import { until } from "../support/until.js";
import { instance } from "./dns-support.js";

const UDP_PACKETS = 80_000;
const TCP_CONNECTIONS = 200;
const TCP_FRAMES_PER_CONNECTION = 100;

const errors: string[] = [];
const logger = pino({ level: "warn" }, new Writable({ write: (chunk: Buffer, _e, cb) => (errors.push(chunk.toString()), cb()) }));
const server = new DnsServer(dnsOptions({ listen: { host: "127.0.0.1", port: 0 }, tcpIdleMs: 300, maxTcpConnections: 64 }), { logger });
let port = 0;

beforeAll(async () => {
  const registry = createMemoryRegistry();
  await registry.register(instance("web", 1));
  server.update((registry as ReturnType<typeof createMemoryRegistry>).snapshot());
  port = (await server.listen()).port;
});

afterAll(async () => {
  await server.close();
});

async function expectHealthy(): Promise<void> {
  const udp = decode(await udpExchange(port, makeQuery("web.service.consul", "A", { id: 77 })));
  expect([udp.id, udp.rcode, udp.answer]).toEqual([77, "NOERROR", ["web.service.consul. 0 IN A 10.9.0.1"]]);
  const [tcp] = await tcpExchange(port, [makeQuery("_web._tcp.service.consul", "SRV", { id: 78 })]);
  expect(decode(tcp!).answer).toEqual(["_web._tcp.service.consul. 0 IN SRV 1 1 2001 0a090001.addr.dc1.consul."]);
}

describe("socket fuzz", () => {
  it(`0_${UDP_PACKETS} UDP packets`, async () => {
    const rand = prng(11);
    const sock = createSocket("udp4");
    sock.on("message", () => {});
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    const seen = () => server.stats().queries + server.stats().dropped;
    const start = seen();
    for (let sent = 0; sent < UDP_PACKETS; ) {
      // Paced in batches (each handled before the next) so the kernel's socket buffers rarely drop any.
      for (let i = 0; i < 100; i++, sent++) sock.send(fuzzPacket(rand), port, "127.0.0.1");
      let last = -1;
      await until("the server to settle", async () => {
        const now = seen();
        const settled = now === last || now - start >= sent;
        last = now;
        return settled;
      }, 10_000, 2);
    }
    sock.close();
    expect(seen() - start).toBeGreaterThan(UDP_PACKETS * 0.95);
    expect(errors).toEqual([]);
    await expectHealthy();
  }, 300_000);

  it(`1_${TCP_CONNECTIONS} TCP connections × ${TCP_FRAMES_PER_CONNECTION} frames, garbage and bogus lengths`, async () => {
    const rand = prng(12);
    const before = server.stats().queries + server.stats().dropped;
    for (let c = 0; c < TCP_CONNECTIONS; c += 16) {
      await Promise.all(
        Array.from({ length: 16 }, () => new Promise<void>((resolve) => {
          const sock = connect({ host: "127.0.0.1", port });
          sock.on("error", () => resolve());
          sock.on("close", () => resolve());
          sock.on("data", () => {});
          sock.on("connect", () => {
            const frames = Array.from({ length: TCP_FRAMES_PER_CONNECTION }, () => {
              const p = fuzzPacket(rand);
              return Buffer.concat([Buffer.from([p.length >> 8, p.length & 255]), p]);
            });
            // Sometimes garbage or a frame that promises more than it sends (left to the idle timeout).
            const tail = rand() < 0.3 ? Buffer.from([0xff, 0xff, 1, 2, 3]) : Buffer.alloc(0);
            const all = Buffer.concat([...frames, tail]);
            // Written in random-sized pieces.
            for (let off = 0; off < all.length; ) {
              const n = 1 + Math.floor(rand() * 700);
              sock.write(all.subarray(off, off + n));
              off += n;
            }
            if (tail.length === 0) sock.end();
          });
        })),
      );
    }
    const handled = server.stats().queries + server.stats().dropped - before;
    expect(handled).toBeGreaterThan(TCP_CONNECTIONS * TCP_FRAMES_PER_CONNECTION * 0.9);
    expect(server.stats().tcp.closedIdle).toBeGreaterThan(0);
    await until("every fuzz connection to be closed", () => server.stats().tcp.open === 0, 5000);
    expect(errors).toEqual([]);
    await expectHealthy();
  }, 300_000);
});
