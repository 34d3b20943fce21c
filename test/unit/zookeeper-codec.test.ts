import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { decodeCurator, decodeNerve, encodeCurator, encodeNerve, UNKNOWN_OWNER } from "../../adapters/zookeeper/codec.js";
import { assertZnodeName, isZnodePath, nerveChildId, znodeNameProblem } from "../../adapters/zookeeper/paths.js";
import { ZnodeNameError } from "../../adapters/zookeeper/errors.js";

const web: Instance = {
  id: "host1:web-1:8080",
  name: "web",
  address: "10.0.0.5",
  port: 32768,
  protocol: "tcp",
  tags: ["primary", "v1,beta"],
  meta: { weight: "10", zone: "a" },
  checks: [],
  health: "passing",
  owner: "host1",
};
const T = 1700000000123;

describe("encodeCurator", () => {
  it("0_byte-exact with Curator 5 JsonInstanceSerializer (payload null)", () => {
    // Printed by test/integration/java/CuratorReader.java `serialize web host1:web-1:8080 10.0.0.5 32768 1700000000123`.
    expect(encodeCurator(web, T, "none")).toBe(
      '{"name":"web","id":"host1:web-1:8080","address":"10.0.0.5","port":32768,"sslPort":null,"payload":null,"registrationTimeUTC":1700000000123,"serviceType":"DYNAMIC","uriSpec":null}',
    );
  });
  it("1_spring payload carries tags, meta, owner and protocol", () => {
    expect(encodeCurator(web, T, "spring")).toBe(
      '{"name":"web","id":"host1:web-1:8080","address":"10.0.0.5","port":32768,"sslPort":null,' +
        '"payload":{"@class":"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance","id":"host1:web-1:8080","name":"web",' +
        '"metadata":{"weight":"10","zone":"a","portolan.owner":"host1","portolan.protocol":"tcp","portolan.tags":"[\\"primary\\",\\"v1,beta\\"]"}},' +
        '"registrationTimeUTC":1700000000123,"serviceType":"DYNAMIC","uriSpec":null}',
    );
  });
  it("2_health is not encoded (ZooKeeper has none)", () => {
    expect(encodeCurator({ ...web, health: "critical" }, T, "none")).toBe(encodeCurator(web, T, "none"));
  });
});

describe("encodeNerve", () => {
  it("0_host, port, name (nerve instance_id), weight, labels", () => {
    expect(encodeNerve(web)).toBe(
      '{"host":"10.0.0.5","port":32768,"name":"host1:web-1:8080","weight":10,' +
        '"labels":{"weight":"10","zone":"a","portolan.owner":"host1","portolan.protocol":"tcp","portolan.tags":"[\\"primary\\",\\"v1,beta\\"]"}}',
    );
  });
  it("1_no weight key when meta.weight is not an integer", () => {
    const doc = JSON.parse(encodeNerve({ ...web, meta: { weight: "heavy" } })) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(["host", "port", "name", "labels"]);
  });
});

describe("decode", () => {
  const roundTrips: [string, Instance][] = [
    ["tcp with tags/meta", web],
    ["udp", { ...web, id: "host1:dns:53:udp", port: 53, protocol: "udp", tags: [], meta: {} }],
    ["ipv6 address", { ...web, address: "fd00::5" }],
  ];
  roundTrips.forEach(([name, inst], i) => {
    it(`${i}_spring round trip: ${name}`, () => {
      expect(decodeCurator("web", encodeCurator(inst, T, "spring"))).toEqual({ ok: true, instance: inst });
    });
    it(`${i}_nerve round trip: ${name}`, () => {
      expect(decodeNerve("web", "ignored", encodeNerve(inst))).toEqual({ ok: true, instance: inst });
    });
  });

  it("3_plain curator keeps what Curator has: owner and protocol from the id", () => {
    const d = decodeCurator("web", encodeCurator({ ...web, id: "host1:dns:53:udp" }, T, "none"));
    expect(d).toEqual({
      ok: true,
      instance: { ...web, id: "host1:dns:53:udp", protocol: "udp", tags: [], meta: {}, owner: "host1" },
    });
  });

  it("4_a Java app's Curator entry (uuid id, sslPort only, foreign payload)", () => {
    const data = JSON.stringify({
      name: "billing", id: "6f1c2a9e-3c1b-4b5e-9b0a-1d2e3f4a5b6c", address: "billing.local", port: null, sslPort: 8443,
      payload: { "@class": "com.example.Details", region: "eu" }, registrationTimeUTC: 1, serviceType: "DYNAMIC", uriSpec: null,
    });
    const d = decodeCurator("billing", data);
    expect(d.ok && d.instance).toMatchObject({ port: 8443, owner: UNKNOWN_OWNER, tags: [], meta: {}, health: "passing" });
  });

  it("5_a real nerve entry (instance_id without owner prefix)", () => {
    const d = decodeNerve("web", "box-7", '{"host":"10.1.1.1","port":80,"name":"box-7","weight":3}');
    expect(d.ok && d.instance).toMatchObject({ id: "box-7", address: "10.1.1.1", port: 80, owner: UNKNOWN_OWNER, meta: {} });
  });

  const broken: [string, string, () => ReturnType<typeof decodeCurator>][] = [
    ["not json", "curator", () => decodeCurator("web", "{nope")],
    ["json array", "curator", () => decodeCurator("web", "[1]")],
    ["name differs from directory", "curator", () => decodeCurator("api", encodeCurator(web, T, "none"))],
    ["port out of range", "curator", () => decodeCurator("web", encodeCurator({ ...web, port: 70000 }, T, "none"))],
    ["no address", "curator", () => decodeCurator("web", '{"name":"web","id":"a","port":1}')],
    ["empty data", "nerve", () => decodeNerve("web", "x", "")],
    ["nerve without port", "nerve", () => decodeNerve("web", "x", '{"host":"a"}')],
    ["nerve bad tags label", "nerve", () => decodeNerve("web", "x", '{"host":"a","port":1,"labels":{"portolan.tags":"{"}}')],
  ];
  broken.forEach(([name, , fn], i) => {
    it(`${i + 6}_unparsable: ${name}`, () => {
      expect(fn().ok).toBe(false);
    });
  });
});

describe("znode names", () => {
  const cases: [string, string, boolean][] = [
    ["registrator id", "host1:web-1:8080", true],
    ["udp id", "host1:dns:53:udp", true],
    ["slash", "host1:a/b:80", false],
    ["dot", ".", false],
    ["dotdot", "..", false],
    ["empty", "", false],
    ["NUL", "a\u0000b", false],
    ["DEL", "a\u007fb", false],
    ["private use", "a\ue000b", false],
    ["accented", "hôte:web:80", true],
  ];
  cases.forEach(([name, value, ok], i) => {
    it(`${i}_${name}`, () => {
      expect(znodeNameProblem(value) === undefined).toBe(ok);
      if (ok) expect(() => assertZnodeName(value)).not.toThrow();
      else expect(() => assertZnodeName(value)).toThrow(ZnodeNameError);
    });
  });

  const paths: [string, boolean][] = [["/services", true], ["/", true], ["services", false], ["/a/", false], ["/a//b", false], ["/a/./b", false]];
  paths.forEach(([p, ok], i) => {
    it(`${i}_path ${p}`, () => expect(isZnodePath(p)).toBe(ok));
  });

  const children: [string, string | undefined][] = [
    ["host1:web-1:8080_0000000007", "host1:web-1:8080"],
    ["proj_web_1_0000000012", "proj_web_1"],
    ["box-7_0000000001", "box-7"],
    ["no-sequence", undefined],
    ["_0000000001", undefined],
    ["x_123", undefined],
  ];
  children.forEach(([child, id], i) => {
    it(`${i}_nerve child ${child}`, () => expect(nerveChildId(child)).toBe(id));
  });
});
