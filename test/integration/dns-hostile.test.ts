// The shim in front of a hostile --recursor (huge answers, garbage, answers to another question) with dig as the
// client, and `portolan dns` stopped by SIGTERM while a query waits for a recursor.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRegistry } from "../../adapters/memory/index.js";
import { startCli } from "./cli.js";
import { dig, instance, shim } from "./dns-support.js";

const A_RECORDS = 3700; // 16 bytes each: a 59 KB answer

/** What the hostile recursor sends for `query`; the first label of the question picks the misbehaviour. */
function hostileReply(query: Buffer): Buffer {
  const label = query.toString("latin1", 13, 13 + query[12]!);
  const qEnd = 12 + (query.indexOf(0, 12) - 12) + 5;
  const head = Buffer.from(query.subarray(0, qEnd));
  head[2]! |= 0x80;
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(0, 8);
  head.writeUInt16BE(0, 10);
  switch (label) {
    case "huge": {
      head.writeUInt16BE(A_RECORDS, 6);
      const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
      return Buffer.concat([head, ...Array<Buffer>(A_RECORDS).fill(rr)]);
    }
    case "other": {
      // A well-formed answer to another question (a poisoning attempt).
      const other = Buffer.from(head);
      other.write("x", 13, "latin1");
      return other;
    }
    case "short":
      return head.subarray(0, 3);
    default:
      return Buffer.concat([head.subarray(0, 4), Buffer.alloc(200, 0xff)]);
  }
}

let udp: UdpSocket;
let tcp: Server;
let recursorPort = 0;

beforeAll(async () => {
  tcp = createServer((s) => {
    s.on("error", () => {});
    s.on("data", (d) => {
      const reply = hostileReply(d.subarray(2));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      s.write(Buffer.concat([len, reply]));
    });
  });
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", () => r()));
  recursorPort = (tcp.address() as { port: number }).port;
  udp = createSocket("udp4");
  udp.on("message", (m, from) => udp.send(hostileReply(m), from.port, from.address));
  await new Promise<void>((r) => udp.bind(recursorPort, "127.0.0.1", () => r()));
});

afterAll(() => {
  udp.close();
  tcp.close();
});

describe("a hostile recursor", () => {
  const registry = createMemoryRegistry();
  let dns: Awaited<ReturnType<typeof shim>>;
  beforeAll(async () => {
    await registry.register(instance("web", 1));
    dns = await shim(registry, { recursors: [{ host: "127.0.0.1", port: recursorPort }], recursorTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await dns.close();
    await registry.close();
  });

  const cases: { name: string; qname: string; flags: string[]; status: string; tc?: boolean; answers?: number }[] = [
    // A 59 KB UDP answer to a client that takes 512 bytes: TC and nothing else over UDP, all of it over TCP.
    { name: "huge_noedns", qname: "huge.example.org", flags: ["+noedns", "+ignore"], status: "NOERROR", tc: true, answers: 0 },
    { name: "huge_bufsize", qname: "huge.example.org", flags: ["+bufsize=1232", "+ignore"], status: "NOERROR", tc: true, answers: 0 },
    { name: "huge_retried_over_tcp", qname: "huge.example.org", flags: ["+noedns"], status: "NOERROR", tc: false, answers: A_RECORDS },
    { name: "other_question", qname: "other.example.org", flags: [], status: "SERVFAIL", answers: 0 },
    { name: "other_question_tcp", qname: "other.example.org", flags: ["+tcp"], status: "SERVFAIL", answers: 0 },
    { name: "short", qname: "short.example.org", flags: [], status: "SERVFAIL" },
    { name: "garbage", qname: "garbage.example.org", flags: [], status: "SERVFAIL" },
    { name: "garbage_tcp", qname: "garbage.example.org", flags: ["+tcp"], status: "SERVFAIL" },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, async () => {
      const r = await dig(dns.port, c.qname, "A", ...c.flags);
      expect([c.name, r.status], r.text).toEqual([c.name, c.status]);
      if (c.tc !== undefined) expect(r.flags.includes("tc"), r.text).toBe(c.tc);
      if (c.answers !== undefined) expect(r.answer).toHaveLength(c.answers);
      // The shim itself still answers.
      expect((await dig(dns.port, "web.service.consul", "A")).answer).toEqual(["web.service.consul. 0 IN A 10.9.0.1"]);
    });
  }
});

describe("portolan dns stopped while a query waits for its recursor", () => {
  it("0_SIGTERM: exit 0 at once, no internal error", async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", () => r()));
    const port = 18670;
    const p = startCli(["dns", "--registry", "memory:", "--listen", `127.0.0.1:${port}`, "--recursor", `127.0.0.1:${silent.address().port}`, "--log-format", "json"]);
    try {
      await expect.poll(() => p.logs(), { timeout: 20_000 }).toContain("dns listening");
      let arrived = false;
      silent.once("message", () => (arrived = true));
      void dig(port, "example.org", "A").catch(() => undefined);
      await expect.poll(() => arrived, { timeout: 5000 }).toBe(true);
      const t0 = Date.now();
      p.proc.kill("SIGTERM");
      const { code } = await p.exited;
      expect([code, p.logs()]).toEqual([0, expect.not.stringContaining("internal error")]);
      // Not held until the recursor times out (2 s by default).
      expect(Date.now() - t0).toBeLessThan(1500);
    } finally {
      p.proc.kill("SIGKILL");
      silent.close();
    }
  });
});

describe("addresses a backend holds that are neither IPs nor host names (any registrant can write one in Consul)", () => {
  const registry = createMemoryRegistry();
  let dns: Awaited<ReturnType<typeof shim>>;
  const addresses = ["bad..name", `${"a".repeat(64)}.example`, `${"abcdefgh.".repeat(30)}com`, "with space.example", "x\\046y.example", "ok-host.example", "trailing.example.", "10.9.0.7"];
  beforeAll(async () => {
    for (const [n, address] of addresses.entries()) await registry.register(instance("mixed", n + 1, { address }));
    dns = await shim(registry);
  });
  afterAll(async () => {
    await dns.close();
    await registry.close();
  });

  for (const [i, flags] of [[], ["+tcp"], ["+noedns"]].entries()) {
    it(`${i}_dig SRV ${flags.join(" ") || "udp"}: a well-formed answer with the usable instances only`, async () => {
      const r = await dig(dns.port, "mixed.service.consul", "SRV", ...flags);
      expect(r.text).not.toContain("bad packet");
      expect(r.status, r.text).toBe("NOERROR");
      expect(r.answer.map((a) => a.split(" ").at(-1)).sort()).toEqual(["0a090007.addr.dc1.consul.", "ok-host.example.", "trailing.example."]);
    });
  }
});
