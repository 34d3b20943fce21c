// Query reader, encoder and responder byte by byte, no sockets; responses decoded by dns2.
import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { dnsOptions } from "../../src/dns/options.js";
import { Responder } from "../../src/dns/respond.js";
import { isQueryError, readQuery } from "../../src/dns/wire.js";
import { decode, makeQuery, sorted } from "../support/dns.js";

function inst(n: number, name = "big"): Instance {
  return { id: `h:${name}-${n}:80`, name, address: `10.1.${n >> 8}.${n & 255}`, port: 1000 + n, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h" };
}

function responder(instances: Instance[], over = {}): Responder {
  const r = new Responder(dnsOptions(over), () => 0.5);
  r.update({ version: 1, instances });
  return r;
}

function ask(r: Responder, msg: Buffer, transport: "udp" | "tcp" = "udp") {
  const reply = r.respond(msg, transport);
  if (reply.kind !== "reply") throw new Error(`expected a reply, got ${reply.kind}`);
  return { ...reply, d: decode(reply.message) };
}

describe("readQuery", () => {
  const q = makeQuery("web.service.consul", "A", { edns: 1232, dnssecOk: true });
  const cases: { name: string; msg: Buffer; error?: string; edns?: number }[] = [
    { name: "plain", msg: makeQuery("web.service.consul", "A") },
    { name: "edns", msg: q, edns: 1232 },
    { name: "edns below 512 counts as 512", msg: makeQuery("a", "A", { edns: 100 }), edns: 512 },
    { name: "empty", msg: Buffer.alloc(0), error: "drop" },
    { name: "11 bytes", msg: q.subarray(0, 11), error: "drop" },
    { name: "a response", msg: Buffer.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]), error: "drop" },
    { name: "no question", msg: Buffer.from([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), error: "formerr" },
    { name: "two questions", msg: Buffer.from([0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), error: "formerr" },
    { name: "truncated question", msg: q.subarray(0, 20), error: "formerr" },
    { name: "name pointer in question", msg: Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]), error: "formerr" },
    { name: "label over 63", msg: Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 1, 0, 1])]), error: "formerr" },
    { name: "name over 255", msg: makeQuery(Array(5).fill("a".repeat(60)).join("."), "A"), error: "formerr" },
    { name: "opcode IQUERY", msg: Buffer.from([0, 1, 0x09, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), error: "notimp" },
    { name: "arcount without records", msg: Buffer.concat([makeQuery("a", "A").subarray(0, 10), Buffer.from([0, 1]), makeQuery("a", "A").subarray(12)]), error: "formerr" },
    { name: "two OPT", msg: Buffer.concat([q.subarray(0, 10), Buffer.from([0, 2]), q.subarray(12), q.subarray(q.length - 11)]), error: "formerr" },
    { name: "EDNS version 1", msg: Buffer.concat([q.subarray(0, q.length - 5), Buffer.from([1, 0x80, 0, 0, 0])]), error: "badvers" },
  ];
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      const r = readQuery(c.msg);
      if (c.error) {
        expect(isQueryError(r) && r.error).toBe(c.error);
      } else {
        expect(isQueryError(r)).toBe(false);
        expect(isQueryError(r) ? undefined : r.edns?.udpSize).toBe(c.edns);
      }
    }),
  );
});

describe("Responder", () => {
  it("0_answers, echoes ID, RD and the question's case; AA set", () => {
    const r = responder([inst(1, "web")]);
    const a = ask(r, makeQuery("Web.SERVICE.consul", "A", { id: 4242 }));
    expect(a.d).toMatchObject({ id: 4242, rcode: "NOERROR", aa: true, rd: true, tc: false, ra: false, question: "Web.SERVICE.consul A", opt: undefined });
    expect(a.d.answer).toEqual(["web.service.consul. 0 IN A 10.1.0.1"]);
  });

  it("1_cache: a second query with other case, ID and RD is a hit with its own ID, RD and case", () => {
    const r = responder([inst(1, "web")]);
    expect(ask(r, makeQuery("web.service.consul", "A", { id: 1 })).cached).toBe(false);
    const b = ask(r, makeQuery("WEB.service.CONSUL", "A", { id: 2, rd: false }));
    expect(b.cached).toBe(true);
    expect(b.d).toMatchObject({ id: 2, rd: false, question: "WEB.service.CONSUL A" });
    expect(b.d.answer).toEqual(["web.service.consul. 0 IN A 10.1.0.1"]);
    expect(r.cacheSize).toBe(1);
  });

  it("2_a new snapshot invalidates the cache", () => {
    const r = responder([inst(1, "web")]);
    ask(r, makeQuery("web.service.consul", "A"));
    r.update({ version: 2, instances: [inst(2, "web")] });
    const a = ask(r, makeQuery("web.service.consul", "A"));
    expect(a.cached).toBe(false);
    expect(a.d.answer).toEqual(["web.service.consul. 0 IN A 10.1.0.2"]);
  });

  it("3_EDNS echoed (our size, DO bit)", () => {
    const a = ask(responder([inst(1, "web")]), makeQuery("web.service.consul", "A", { edns: 1232, dnssecOk: true }));
    expect(a.d.opt).toEqual({ udpSize: 4096, dnssecOk: true, extendedRcode: 0 });
  });

  it("4_more than 512 bytes over UDP: TC with whole records; over TCP: all", () => {
    const r = responder(Array.from({ length: 40 }, (_, i) => inst(i + 1)));
    const udp = ask(r, makeQuery("big.service.consul", "SRV"));
    expect(udp.message.length).toBeLessThanOrEqual(512);
    expect(udp.d.tc).toBe(true);
    expect(udp.d.answer.length).toBeGreaterThan(0);
    expect(udp.d.answer.length).toBeLessThan(40);
    const tcp = ask(r, makeQuery("big.service.consul", "SRV"), "tcp");
    expect(tcp.d.tc).toBe(false);
    expect(tcp.d.answer).toHaveLength(40);
    expect(tcp.d.additional).toHaveLength(40);
  });

  it("5_EDNS size decides what fits", () => {
    const r = responder(Array.from({ length: 40 }, (_, i) => inst(i + 1)));
    const small = ask(r, makeQuery("big.service.consul", "A"));
    expect(small.d.tc).toBe(true);
    const big = ask(r, makeQuery("big.service.consul", "A", { edns: 4096 }));
    expect(big.d.tc).toBe(false);
    expect(big.d.answer).toHaveLength(40);
  });

  it("6_additional records that do not fit are dropped without TC", () => {
    // 20 SRV fit in 1232 bytes, their 20 A records do not.
    const r = responder(Array.from({ length: 20 }, (_, i) => inst(i + 1)));
    const a = ask(r, makeQuery("_big._tcp.service.consul", "SRV", { edns: 1232 }));
    expect(a.d.tc).toBe(false);
    expect(a.d.answer).toHaveLength(20);
    expect(a.d.additional.length).toBeLessThan(20);
    expect(a.message.length).toBeLessThanOrEqual(1232);
  });

  it("7_SRV targets are never compressed", () => {
    const r = responder([inst(1), inst(2)]);
    const a = ask(r, makeQuery("big.service.consul", "SRV"));
    const target = Buffer.concat([Buffer.from([8]), Buffer.from("0a010001"), Buffer.from([4]), Buffer.from("addr"), Buffer.from([3]), Buffer.from("dc1"), Buffer.from([6]), Buffer.from("consul"), Buffer.from([0])]);
    // Each SRV rdata ends with its full target; the first occurrence is inside the SRV record.
    const at = a.message.indexOf(target);
    expect(at).toBeGreaterThan(0);
    expect(a.message.readUInt16BE(at - 2)).toBe(1001);
    expect(a.message.indexOf(Buffer.concat([Buffer.from([8]), Buffer.from("0a010002"), Buffer.from([4]), Buffer.from("addr"), Buffer.from([3]), Buffer.from("dc1"), Buffer.from([6]), Buffer.from("consul"), Buffer.from([0])]))).toBeGreaterThan(0);
  });

  it("8_answers are shuffled across queries, same set", () => {
    let n = 0;
    const r = new Responder(dnsOptions(), () => ((n = (n * 7 + 3) % 11) / 11));
    r.update({ version: 1, instances: Array.from({ length: 5 }, (_, i) => inst(i + 1)) });
    const orders = new Set<string>();
    let first: string[] | undefined;
    for (let i = 0; i < 8; i++) {
      const a = ask(r, makeQuery("big.service.consul", "A"));
      orders.add(a.d.answer.join());
      first ??= sorted(a.d.answer);
      expect(sorted(a.d.answer)).toEqual(first);
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  const errors: { name: string; msg: Buffer; rcode: string; question?: string }[] = [
    { name: "FORMERR keeps the ID", msg: Buffer.from([0xab, 0xcd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), rcode: "FORMERR" },
    { name: "NOTIMP echoes the question", msg: Buffer.from([0, 1, 0x29, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]), rcode: "NOTIMP", question: "a A" },
    { name: "BADVERS", msg: Buffer.concat([makeQuery("a", "A", { edns: 1232 }).subarray(0, 25), Buffer.from([1, 0, 0, 0, 0])]), rcode: "BADVERS", question: "a A" },
    { name: "REFUSED outside the domain without recursors", msg: makeQuery("example.com", "A"), rcode: "REFUSED", question: "example.com A" },
  ];
  errors.forEach((c, i) =>
    it(`${9 + i}_${c.name}`, () => {
      const a = ask(responder([]), c.msg);
      expect(a.d.rcode).toBe(c.rcode);
      expect(a.d.aa).toBe(false);
      expect(a.d.question).toBe(c.question);
    }),
  );

  it("14_before the first snapshot: SERVFAIL (never a cacheable NXDOMAIN)", () => {
    const r = new Responder(dnsOptions());
    expect(ask(r, makeQuery("web.service.consul", "A")).d.rcode).toBe("SERVFAIL");
    r.update({ version: 0, instances: [] });
    expect(ask(r, makeQuery("web.service.consul", "A")).d.rcode).toBe("NXDOMAIN");
  });

  it("13_outside the domain with recursors: forward", () => {
    const r = responder([], { recursors: [{ host: "127.0.0.1", port: 53 }] });
    expect(r.respond(makeQuery("example.com", "A"), "udp").kind).toBe("forward");
    expect(ask(r, makeQuery("nope.service.consul", "A")).d).toMatchObject({ rcode: "NXDOMAIN", ra: true });
  });
});
