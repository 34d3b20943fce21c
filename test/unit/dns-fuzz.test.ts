// 20,000 fuzz packets through the responder (no sockets): it never throws, and every reply is a DNS
// message dns2 can decode, with the query's ID. The socket-level fuzz is test/integration/dns-fuzz.test.ts.
import { describe, expect, it } from "vitest";
import { dnsOptions } from "../../src/dns/options.js";
import { Responder } from "../../src/dns/respond.js";
import { decode, makeQuery } from "../support/dns.js";
import { fuzzPacket, prng } from "../support/dns-fuzz.js";

describe("responder fuzz", () => {
  it("0_20,000 random and mutated packets", () => {
    const r = new Responder(dnsOptions({ cacheEntries: 1000 }), prng(7));
    r.update({ version: 1, instances: [{ id: "h:web-1:80", name: "web", address: "10.0.0.1", port: 80, protocol: "tcp", tags: ["primary"], meta: {}, checks: [], health: "passing", owner: "h" }] });
    const rand = prng(1);
    let replies = 0;
    const bad: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const pkt = fuzzPacket(rand);
      const reply = r.respond(pkt, i % 2 ? "udp" : "tcp");
      if (reply.kind !== "reply") continue;
      replies++;
      let ok = reply.message.readUInt16BE(0) === pkt.readUInt16BE(0) && reply.message.length <= 65535;
      if (i % 10 === 0) {
        try {
          decode(reply.message);
        } catch {
          ok = false;
        }
      }
      if (!ok) bad.push(`packet ${i}: ${pkt.toString("hex")}`);
    }
    expect(bad).toEqual([]);
    expect(replies).toBeGreaterThan(10_000);
    const ok = decode((r.respond(makeQuery("web.service.consul", "A"), "udp") as { message: Buffer }).message);
    expect(ok.answer).toEqual(["web.service.consul. 0 IN A 10.0.0.1"]);
  }, 120_000);
});
