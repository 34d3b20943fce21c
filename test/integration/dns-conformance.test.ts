// Conformance with Consul's own DNS: the same services registered in the test bed's Consul, every supported
// query form asked of both; the records must match modulo order, the SOA serial and Consul's node-meta TXT
// records in Additional. The differences docs/dns.md lists are asserted too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Registry } from "../../src/core/registry.js";
import { open } from "./backends.js";
import { dig, instance, shim, type DigResult } from "./dns-support.js";
import { TESTBED } from "./testbed.js";
import { until } from "../support/until.js";

const CONSUL_DNS = 18600;
const pid = process.pid;
const s = `cf${pid}`;
const s6 = `cf6-${pid}`;
const big = `cfbig-${pid}`;
const backend = { name: "consul", uri: `consul://${TESTBED.consul.host}:${TESTBED.consul.port}` };
const owner = `dns-cf-${pid}`;
let writer: Registry;
let reader: Registry;
let dns: Awaited<ReturnType<typeof shim>>;

const ids = [
  instance(s, 1, { tags: ["primary"], owner, address: "10.77.0.1" }),
  instance(s, 2, { owner, address: "10.77.0.2" }),
  instance(s, 3, { owner, address: "10.77.0.3", health: "critical" }),
  instance(s6, 4, { owner, address: "fd00::77:4" }),
  ...Array.from({ length: 25 }, (_, i) => instance(big, 10 + i, { owner, address: `10.78.0.${10 + i}` })),
];

beforeAll(async () => {
  writer = await open(backend);
  reader = await open(backend);
  for (const i of ids) await writer.register(i);
  dns = await shim(reader);
  await until("both DNS servers to know the services", async () => {
    const [a, b] = await Promise.all([dig(CONSUL_DNS, `${big}.service.consul`, "A", "+tcp"), dig(dns.port, `${big}.service.consul`, "A", "+tcp")]);
    const c = await dig(CONSUL_DNS, `${s}.service.consul`, "A");
    return a.answer.length === 25 && b.answer.length === 25 && c.answer.length === 2;
  }, 20_000, 100);
});

afterAll(async () => {
  await dns?.close();
  for (const i of ids) await writer?.deregister(i);
  await reader?.close();
  await writer?.close();
});

/** What must be equal: status, sorted answers, Additional without Consul's TXT node meta, SOA without serial. */
function comparable(r: DigResult) {
  const soa = (l: string) => l.replace(/( SOA \S+ \S+ )\d+/, "$1SERIAL");
  return {
    status: r.status,
    answer: [...r.answer].sort(),
    authority: r.authority.map(soa).sort(),
    additional: r.additional.filter((l) => !/ IN TXT /.test(l)).sort(),
  };
}

const FORMS: [string, string][] = [
  [`${s}.service.consul`, "A"],
  [`${s}.service.consul`, "SRV"],
  [`${s}.service.consul`, "ANY"],
  [`${s}.service.consul`, "AAAA"],
  [`${s}.service.dc1.consul`, "A"],
  [`${s}.service.dc1.consul`, "SRV"],
  [`primary.${s}.service.consul`, "A"],
  [`primary.${s}.service.consul`, "SRV"],
  [`nope.${s}.service.consul`, "A"],
  [`_${s}._tcp.service.consul`, "SRV"],
  [`_${s}._primary.service.consul`, "SRV"],
  [`${s6}.service.consul`, "AAAA"],
  [`${s6}.service.consul`, "SRV"],
  [`${s6}.service.consul`, "A"],
  [`nope-${pid}.service.consul`, "A"],
  [`nope-${pid}.service.consul`, "SRV"],
  ["0a4d0001.addr.dc1.consul", "A"],
  ["fd000000000000000000000000770004.addr.dc1.consul", "AAAA"],
  ["1.0.77.10.in-addr.arpa", "PTR"],
  [`${big}.service.consul`, "SRV"],
];

describe("conformance with Consul's DNS", () => {
  FORMS.forEach(([name, type], i) =>
    it(`${i}_${name} ${type}`, async () => {
      // TCP and a large buffer: no answer limits on either side.
      const flags = ["+tcp", "+bufsize=65000"];
      const [consul, ours] = await Promise.all([dig(CONSUL_DNS, name, type, ...flags), dig(dns.port, name, type, ...flags)]);
      expect(comparable(ours)).toEqual(comparable(consul));
    }),
  );

  it(`${FORMS.length}_difference: over UDP without EDNS Consul answers some of 25 without TC; the shim sets TC and gives all over TCP`, async () => {
    const consul = await dig(CONSUL_DNS, `${big}.service.consul`, "SRV", "+noedns", "+ignore");
    expect(consul.answer.length).toBeLessThan(25);
    expect(consul.flags).not.toContain("tc");
    const ours = await dig(dns.port, `${big}.service.consul`, "SRV", "+noedns", "+ignore");
    expect(ours.flags).toContain("tc");
    expect((await dig(dns.port, `${big}.service.consul`, "SRV", "+noedns")).answer).toHaveLength(25);
  });

  // dig prints a failed transfer's status only in its YAML output.
  const TRANSFERS: [string, string, string[]][] = [
    ["consul", "AXFR", ["+tcp"]],
    [`${s}.service.consul`, "AXFR", ["+tcp"]],
    [`nope-${pid}.service.consul`, "AXFR", ["+tcp"]],
    ["consul", "AXFR", ["+notcp"]],
  ];
  TRANSFERS.forEach(([name, type, flags], i) =>
    it(`${FORMS.length + 2 + i}_zone transfer ${name} ${type} ${flags.join(" ")}: NOTIMP, authoritative, no records, as Consul`, async () => {
      const [consul, ours] = await Promise.all([dig(CONSUL_DNS, name, type, "+yaml", ...flags), dig(dns.port, name, type, "+yaml", ...flags)]);
      expect(consul.status, consul.text).toBe("NOTIMP");
      expect(ours.status, ours.text).toBe("NOTIMP");
      for (const r of [consul, ours]) expect(r.text).toMatch(/flags: qr aa\n\s+QUESTION: 1\n\s+ANSWER: 0\n\s+AUTHORITY: 0/);
    }),
  );

  it(`${FORMS.length + 2 + TRANSFERS.length}_difference: IXFR is NOTIMP too (Consul answers it as an unknown type: NXDOMAIN or NODATA)`, async () => {
    expect((await dig(dns.port, "consul", "ixfr=1", "+yaml")).status).toBe("NOTIMP");
    expect((await dig(dns.port, `${s}.service.consul`, "ixfr=1", "+yaml")).status).toBe("NOTIMP");
    expect((await dig(CONSUL_DNS, `nope-${pid}.service.consul`, "ixfr=1", "+yaml")).status).toBe("NXDOMAIN");
  });

  it(`${FORMS.length + 1}_difference: apex NS names ns.DOMAIN (Consul names its server nodes)`, async () => {
    expect((await dig(dns.port, "consul", "NS")).answer).toEqual(["consul. 0 IN NS ns.consul."]);
    expect((await dig(CONSUL_DNS, "consul", "NS")).answer[0]).toMatch(/^consul\. 0 IN NS \S+\.node\.dc1\.consul\.$/);
  });
});
