// The answer builder, CoreDNS style: {qname, qtype, rcode, answer, additional, authority} with records as
// zone text, no sockets.
import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { buildAnswer } from "../../src/dns/answer.js";
import { indexCatalog } from "../../src/dns/catalog.js";
import { dnsOptions, type DnsOptions } from "../../src/dns/options.js";
import { zoneText } from "../../src/dns/records.js";
import { RCODE, rcodeName } from "../../src/dns/wire.js";
import { QTYPE } from "../support/dns.js";

function inst(id: string, name: string, address: string, port: number, over: Partial<Instance> = {}): Instance {
  return { id, name, address, port, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h", ...over };
}

const SNAPSHOT = {
  version: 7,
  instances: [
    inst("h:web-1:80", "web", "10.0.0.1", 8080, { tags: ["primary"] }),
    inst("h:web-2:80", "web", "10.0.0.2", 8081),
    inst("h:web-3:80", "web", "10.0.0.3", 8082, { health: "warning" }),
    inst("h:web-4:80", "web", "10.0.0.4", 8083, { health: "critical" }),
    inst("h:web-5:80", "web", "10.0.0.2", 8084),
    inst("h:api-1:90", "api", "10.0.0.1", 9000),
    inst("h:db-1:5432", "db", "FD00:0:0:0:0:0:0:1", 5432, { tags: ["udp"], protocol: "udp" }),
    inst("h:sick-1:1", "sick", "10.0.0.9", 1, { health: "critical" }),
    inst("h:ext-1:1", "ext", "db.example.org", 7000),
  ],
};

const SOA = "consul. 0 IN SOA ns.consul. hostmaster.consul. 7 3600 600 86400 0";

interface Case {
  name: string;
  qname: string;
  qtype: string;
  qclass?: number;
  opts?: Partial<DnsOptions>;
  rcode: string;
  outside?: boolean;
  answer?: string[];
  authority?: string[];
  additional?: string[];
}

const CASES: Case[] = [
  { name: "service A, passing only, one A per address", qname: "web.service.consul", qtype: "A", rcode: "NOERROR", answer: ["web.service.consul. 0 IN A 10.0.0.1", "web.service.consul. 0 IN A 10.0.0.2"] },
  { name: "tag filter", qname: "primary.web.service.consul", qtype: "A", rcode: "NOERROR", answer: ["primary.web.service.consul. 0 IN A 10.0.0.1"] },
  { name: "datacenter qualified", qname: "web.service.dc1.consul", qtype: "A", rcode: "NOERROR", answer: ["web.service.dc1.consul. 0 IN A 10.0.0.1", "web.service.dc1.consul. 0 IN A 10.0.0.2"] },
  { name: "other datacenter", qname: "web.service.dc2.consul", qtype: "A", rcode: "NXDOMAIN", authority: [SOA] },
  {
    name: "RFC 2782 _tcp: every instance, targets in Additional once",
    qname: "_web._tcp.service.consul",
    qtype: "SRV",
    rcode: "NOERROR",
    answer: ["_web._tcp.service.consul. 0 IN SRV 1 1 8080 0a000001.addr.dc1.consul.", "_web._tcp.service.consul. 0 IN SRV 1 1 8081 0a000002.addr.dc1.consul.", "_web._tcp.service.consul. 0 IN SRV 1 1 8084 0a000002.addr.dc1.consul."],
    additional: ["0a000001.addr.dc1.consul. 0 IN A 10.0.0.1", "0a000002.addr.dc1.consul. 0 IN A 10.0.0.2"],
  },
  { name: "RFC 2782 tag", qname: "_web._primary.service.consul", qtype: "SRV", rcode: "NOERROR", answer: ["_web._primary.service.consul. 0 IN SRV 1 1 8080 0a000001.addr.dc1.consul."], additional: ["0a000001.addr.dc1.consul. 0 IN A 10.0.0.1"] },
  { name: "RFC 2782 _udp is the udp tag", qname: "_db._udp.service.consul", qtype: "SRV", rcode: "NOERROR", answer: ["_db._udp.service.consul. 0 IN SRV 1 1 5432 fd000000000000000000000000000001.addr.dc1.consul."], additional: ["fd000000000000000000000000000001.addr.dc1.consul. 0 IN AAAA fd00::1"] },
  { name: "plain SRV", qname: "db.service.consul", qtype: "SRV", rcode: "NOERROR", answer: ["db.service.consul. 0 IN SRV 1 1 5432 fd000000000000000000000000000001.addr.dc1.consul."], additional: ["fd000000000000000000000000000001.addr.dc1.consul. 0 IN AAAA fd00::1"] },
  { name: "AAAA of a v4 service: NODATA + SOA", qname: "web.service.consul", qtype: "AAAA", rcode: "NOERROR", authority: [SOA] },
  { name: "AAAA", qname: "db.service.consul", qtype: "AAAA", rcode: "NOERROR", answer: ["db.service.consul. 0 IN AAAA fd00::1"] },
  { name: "TXT: NODATA", qname: "web.service.consul", qtype: "TXT", rcode: "NOERROR", authority: [SOA] },
  { name: "ANY: addresses", qname: "web.service.consul", qtype: "ANY", rcode: "NOERROR", answer: ["web.service.consul. 0 IN A 10.0.0.1", "web.service.consul. 0 IN A 10.0.0.2"] },
  { name: "no healthy instance: NXDOMAIN", qname: "sick.service.consul", qtype: "A", rcode: "NXDOMAIN", authority: [SOA] },
  { name: "unknown service", qname: "nope.service.consul", qtype: "SRV", rcode: "NXDOMAIN", authority: [SOA] },
  { name: "unknown tag", qname: "nope.web.service.consul", qtype: "A", rcode: "NXDOMAIN", authority: [SOA] },
  { name: "include warning", qname: "web.service.consul", qtype: "A", opts: { includeWarning: true }, rcode: "NOERROR", answer: ["web.service.consul. 0 IN A 10.0.0.1", "web.service.consul. 0 IN A 10.0.0.2", "web.service.consul. 0 IN A 10.0.0.3"] },
  { name: "default TTL", qname: "api.service.consul", qtype: "A", opts: { ttlS: 5 }, rcode: "NOERROR", answer: ["api.service.consul. 5 IN A 10.0.0.1"] },
  {
    name: "service TTL: exact beats prefix",
    qname: "api.service.consul",
    qtype: "A",
    opts: { ttlS: 5, serviceTtl: [{ match: "a", prefix: true, ttlS: 9 }, { match: "api", prefix: false, ttlS: 30 }] },
    rcode: "NOERROR",
    answer: ["api.service.consul. 30 IN A 10.0.0.1"],
  },
  {
    name: "service TTL: longest prefix",
    qname: "_web._tcp.service.consul",
    qtype: "SRV",
    opts: { serviceTtl: [{ match: "", prefix: true, ttlS: 1 }, { match: "we", prefix: true, ttlS: 2 }] },
    rcode: "NOERROR",
    answer: ["_web._tcp.service.consul. 2 IN SRV 1 1 8080 0a000001.addr.dc1.consul.", "_web._tcp.service.consul. 2 IN SRV 1 1 8081 0a000002.addr.dc1.consul.", "_web._tcp.service.consul. 2 IN SRV 1 1 8084 0a000002.addr.dc1.consul."],
    additional: ["0a000001.addr.dc1.consul. 2 IN A 10.0.0.1", "0a000002.addr.dc1.consul. 2 IN A 10.0.0.2"],
  },
  { name: "addr v4", qname: "0a000001.addr.dc1.consul", qtype: "A", rcode: "NOERROR", answer: ["0a000001.addr.dc1.consul. 0 IN A 10.0.0.1"] },
  { name: "addr without dc", qname: "0a0000ff.addr.consul", qtype: "A", rcode: "NOERROR", answer: ["0a0000ff.addr.consul. 0 IN A 10.0.0.255"] },
  { name: "addr v6", qname: "fd000000000000000000000000000001.addr.dc1.consul", qtype: "AAAA", rcode: "NOERROR", answer: ["fd000000000000000000000000000001.addr.dc1.consul. 0 IN AAAA fd00::1"] },
  { name: "addr v4 asked AAAA", qname: "0a000001.addr.dc1.consul", qtype: "AAAA", rcode: "NOERROR", authority: [SOA] },
  { name: "addr bad hex", qname: "0a00001.addr.dc1.consul", qtype: "A", rcode: "NXDOMAIN", authority: [SOA] },
  { name: "PTR v4: every service at the address", qname: "1.0.0.10.in-addr.arpa", qtype: "PTR", rcode: "NOERROR", answer: ["1.0.0.10.in-addr.arpa. 0 IN PTR api.service.dc1.consul.", "1.0.0.10.in-addr.arpa. 0 IN PTR web.service.dc1.consul."] },
  { name: "PTR v6", qname: `${"1".concat(".0".repeat(29))}.d.f.ip6.arpa`, qtype: "PTR", rcode: "NOERROR", answer: [`${"1".concat(".0".repeat(29))}.d.f.ip6.arpa. 0 IN PTR db.service.dc1.consul.`] },
  { name: "PTR of an unknown address is not ours", qname: "9.9.9.9.in-addr.arpa", qtype: "PTR", rcode: "REFUSED", outside: true },
  { name: "PTR of a critical instance's address is not ours", qname: "4.0.0.10.in-addr.arpa", qtype: "PTR", rcode: "REFUSED", outside: true },
  { name: "outside the domain", qname: "example.com", qtype: "A", rcode: "REFUSED", outside: true },
  { name: "domain suffix without the dot", qname: "xconsul", qtype: "A", rcode: "REFUSED", outside: true },
  { name: "root", qname: "", qtype: "NS", rcode: "REFUSED", outside: true },
  { name: "class CH", qname: "web.service.consul", qtype: "A", qclass: 3, rcode: "REFUSED", outside: true },
  { name: "class ANY", qname: "api.service.consul", qtype: "A", qclass: 255, rcode: "NOERROR", answer: ["api.service.consul. 0 IN A 10.0.0.1"] },
  { name: "apex SOA", qname: "consul", qtype: "SOA", rcode: "NOERROR", answer: [SOA] },
  { name: "apex NS", qname: "consul", qtype: "NS", rcode: "NOERROR", answer: ["consul. 0 IN NS ns.consul."] },
  { name: "apex A: NODATA", qname: "consul", qtype: "A", rcode: "NOERROR", authority: [SOA] },
  { name: "node lookups are not served", qname: "web.node.consul", qtype: "A", rcode: "NXDOMAIN", authority: [SOA] },
  { name: "no query type label", qname: "web.consul", qtype: "A", rcode: "NXDOMAIN", authority: [SOA] },
  { name: "empty service name", qname: "service.consul", qtype: "A", rcode: "NXDOMAIN", authority: [SOA] },
  { name: "host name address: SRV target is the host, no A", qname: "ext.service.consul", qtype: "SRV", rcode: "NOERROR", answer: ["ext.service.consul. 0 IN SRV 1 1 7000 db.example.org."] },
  { name: "host name address: A is NODATA", qname: "ext.service.consul", qtype: "A", rcode: "NOERROR", authority: [SOA] },
  {
    name: "other domain and datacenter",
    qname: "web.service.east.example.internal",
    qtype: "A",
    opts: { domain: "Example.Internal.", datacenter: "EAST" },
    rcode: "NOERROR",
    answer: ["web.service.east.example.internal. 0 IN A 10.0.0.1", "web.service.east.example.internal. 0 IN A 10.0.0.2"],
  },
  { name: "AXFR of the domain: NOTIMP", qname: "consul", qtype: "AXFR", rcode: "NOTIMP" },
  { name: "AXFR of a service: NOTIMP", qname: "web.service.consul", qtype: "AXFR", rcode: "NOTIMP" },
  { name: "AXFR of an unknown name in the domain: NOTIMP", qname: "nope.service.consul", qtype: "AXFR", rcode: "NOTIMP" },
  { name: "IXFR of the domain: NOTIMP", qname: "consul", qtype: "IXFR", rcode: "NOTIMP" },
  { name: "IXFR of a service: NOTIMP", qname: "web.service.consul", qtype: "IXFR", rcode: "NOTIMP" },
  { name: "AXFR of a known reverse name: NOTIMP", qname: "1.0.0.10.in-addr.arpa", qtype: "AXFR", rcode: "NOTIMP" },
  { name: "AXFR outside the domain: REFUSED (or forwarded)", qname: "example.com", qtype: "AXFR", rcode: "REFUSED", outside: true },
  { name: "other domain: consul is outside", qname: "web.service.consul", qtype: "A", opts: { domain: "example.internal" }, rcode: "REFUSED", outside: true },
];

describe("buildAnswer", () => {
  CASES.forEach((c, i) => {
    it(`${i}_${c.name}`, () => {
      const opts = dnsOptions(c.opts);
      const a = buildAnswer({ name: c.qname, qtype: QTYPE[c.qtype]!, qclass: c.qclass ?? 1 }, indexCatalog(SNAPSHOT, opts), opts);
      expect(rcodeName(a.rcode)).toBe(c.rcode);
      expect(a.outside).toBe(c.outside ?? false);
      expect(a.answer.map(zoneText)).toEqual(c.answer ?? []);
      expect(a.authority.map(zoneText)).toEqual((c.authority ?? []).map((s) => (c.opts?.domain ? s.replaceAll("consul.", "example.internal.") : s)));
      expect(a.additional.map(zoneText)).toEqual(c.additional ?? []);
    });
  });

  it(`${CASES.length}_SOA serial follows the catalog version`, () => {
    const opts = dnsOptions();
    const a = buildAnswer({ name: "nope.service.consul", qtype: 1, qclass: 1 }, indexCatalog({ ...SNAPSHOT, version: 2 ** 32 + 3 }, opts), opts);
    expect(a.rcode).toBe(RCODE.NXDOMAIN);
    expect(a.authority.map(zoneText)).toEqual(["consul. 0 IN SOA ns.consul. hostmaster.consul. 3 3600 600 86400 0"]);
  });
});
