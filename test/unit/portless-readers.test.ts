// How each reader shows an instance registered without a port (docs/registrator.md "Port-less containers"): Consul, ZooKeeper
// (Curator and nerve), the DNS shim, templates, the catalog.
import { describe, expect, it } from "vitest";
import { decodeCurator, decodeNerve, encodeCurator, encodeNerve } from "../../adapters/zookeeper/codec.js";
import { toInstance, toRegistration } from "../../adapters/consul/mapping.js";
import type { Instance } from "../../src/core/model.js";
import { formatInstances } from "../../src/catalog/format.js";
import { prometheusTargets } from "../../src/catalog/view.js";
import { buildAnswer } from "../../src/dns/answer.js";
import { indexCatalog } from "../../src/dns/catalog.js";
import { dnsOptions } from "../../src/dns/options.js";
import { zoneText } from "../../src/dns/records.js";
import { rcodeName } from "../../src/dns/wire.js";
import { ServiceDirectory } from "../../src/render/services.js";
import { renderTemplate } from "../../src/render/template.js";
import { QTYPE } from "../support/dns.js";

function worker(over: Partial<Instance> = {}): Instance {
  return { id: "h:worker-1", name: "worker", address: "172.17.0.5", port: null, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h", ...over };
}

describe("consul", () => {
  it("0_registers_port_0_at_the_container_address", () => {
    const r = toRegistration(worker(), { healthTtlMs: 60_000 });
    expect(r.ok && [r.registration.Address, r.registration.Port]).toEqual(["172.17.0.5", 0]);
  });
  it("1_port_0_reads_back_as_no_port", () => {
    const i = toInstance({ ID: "h:worker-1", Service: "worker", Address: "172.17.0.5", Port: 0, Meta: { portolan_owner: "h" } }, [], { nodeName: "n", health: "aggregate" });
    expect([i.address, i.port]).toEqual(["172.17.0.5", null]);
  });
});

describe("zookeeper", () => {
  it("0_curator_writes_port_null_and_reads_it_back", () => {
    const text = encodeCurator(worker(), 1, "none");
    expect(JSON.parse(text)).toMatchObject({ address: "172.17.0.5", port: null, sslPort: null });
    const d = decodeCurator("worker", text);
    expect(d.ok && d.instance.port).toBeNull();
  });
  it("1_nerve_keeps_the_port_key_as_null", () => {
    const doc = JSON.parse(encodeNerve(worker())) as Record<string, unknown>;
    expect("port" in doc && doc.port).toBeNull();
    expect(decodeNerve("worker", "x", encodeNerve(worker()))).toEqual({ ok: true, instance: worker() });
  });
  it("2_curator_without_any_port_key_is_still_refused", () => {
    expect(decodeCurator("worker", JSON.stringify({ name: "worker", id: "h:w", address: "10.0.0.1" })).ok).toBe(false);
  });
  it("3_curator_ssl_port_only_still_reads_its_port", () => {
    const d = decodeCurator("worker", JSON.stringify({ name: "worker", id: "h:w", address: "10.0.0.1", port: null, sslPort: 8443 }));
    expect(d.ok && d.instance.port).toBe(8443);
  });
});

describe("dns shim", () => {
  const catalog = indexCatalog(
    { version: 3, instances: [worker(), worker({ id: "h:worker-2", address: "fd00::5" }), worker({ id: "h:web-1:80", name: "web", address: "10.0.0.1", port: 8080 }), worker({ id: "h:web-2", name: "web", address: "10.0.0.2" })] },
    { includeWarning: false },
  );
  const opts = dnsOptions({});
  const ask = (qname: string, qtype: "A" | "AAAA" | "SRV") => {
    const a = buildAnswer({ name: qname, qtype: QTYPE[qtype]!, qclass: 1 }, catalog, opts);
    return { rcode: rcodeName(a.rcode), answer: a.answer.map(zoneText), authority: a.authority.map((r) => r.type) };
  };
  it("0_a_record", () => expect(ask("worker.service.consul", "A")).toEqual({ rcode: "NOERROR", answer: ["worker.service.consul. 0 IN A 172.17.0.5"], authority: [] }));
  it("1_aaaa_record", () => expect(ask("worker.service.consul", "AAAA").answer).toEqual(["worker.service.consul. 0 IN AAAA fd00::5"]));
  it("2_srv_is_nodata", () => expect(ask("worker.service.consul", "SRV")).toEqual({ rcode: "NOERROR", answer: [], authority: ["SOA"] }));
  it("3_rfc2782_srv_is_nodata", () => expect(ask("_worker._tcp.service.consul", "SRV")).toEqual({ rcode: "NOERROR", answer: [], authority: ["SOA"] }));
  it("4_srv_of_a_mixed_service_has_only_the_ported", () => expect(ask("web.service.consul", "SRV").answer).toEqual(["web.service.consul. 0 IN SRV 1 1 8080 0a000001.addr.dc1.consul."]));
  it("5_a_of_a_mixed_service_has_both", () => expect(ask("web.service.consul", "A").answer).toEqual(["web.service.consul. 0 IN A 10.0.0.1", "web.service.consul. 0 IN A 10.0.0.2"]));
});

describe("templates and catalog", () => {
  const dir = new ServiceDirectory({ version: 1, instances: [worker(), worker({ id: "h:worker-2", address: "fd00::5" }), worker({ id: "h:worker-3:90", address: "172.17.0.9", port: 90 })] });
  it("0_host_port_is_the_address", () => {
    const r = renderTemplate("{{#services.worker}}{{hostPort}} [{{port}}]{{#port}} has {{port}}{{/port}};{{/services.worker}}", "t", { services: dir });
    expect(r.output).toBe("172.17.0.5 [];172.17.0.9:90 [90] has 90;[fd00::5] [];");
    expect(r.missing).toEqual([]);
  });
  it("1_catalog_table_shows_the_address", () => expect(formatInstances([worker()])).toMatch(/h:worker-1\s+172\.17\.0\.5\s+passing/));
  it("2_prometheus_target_without_port", () => expect(prometheusTargets([worker()])[0]!.targets).toEqual(["172.17.0.5"]));
});
