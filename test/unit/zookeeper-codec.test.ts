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
  it("1_spring payload: Spring metadata (meta, tags as keys, reserved keys) and a uriSpec {scheme}://{address}:{port}", () => {
    expect(encodeCurator(web, T, "spring")).toBe(
      '{"name":"web","id":"host1:web-1:8080","address":"10.0.0.5","port":32768,"sslPort":null,' +
        '"payload":{"@class":"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance","id":"host1:web-1:8080","name":"web",' +
        '"metadata":{"weight":"10","zone":"a","primary":"primary","v1,beta":"v1,beta","portolan.owner":"host1","portolan.protocol":"tcp",' +
        '"portolan.tags":"[\\"primary\\",\\"v1,beta\\"]","portolan.tagkeys":"[\\"primary\\",\\"v1,beta\\"]"}},' +
        '"registrationTimeUTC":1700000000123,"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},' +
        '{"value":"://","variable":false},{"value":"address","variable":true},{"value":":","variable":false},{"value":"port","variable":true}]}}',
    );
  });
  it("2_health is not encoded (ZooKeeper has none)", () => {
    expect(encodeCurator({ ...web, health: "critical" }, T, "none")).toBe(encodeCurator(web, T, "none"));
  });
});

describe("spring payload", () => {
  const metadata = (i: Instance) =>
    (JSON.parse(encodeCurator(i, T, "spring")) as { payload: { metadata: Record<string, string> } }).payload.metadata;
  /** What Curator's UriSpec.build yields for the written parts (sslPort is null: scheme http). */
  const uri = (i: Instance) => {
    const doc = JSON.parse(encodeCurator(i, T, "spring")) as { address: string; port: number; uriSpec: { parts: { value: string; variable: boolean }[] } };
    const vars: Record<string, string> = { scheme: "http", address: doc.address, port: String(doc.port) };
    return doc.uriSpec.parts.map((p) => (p.variable ? vars[p.value] : p.value)).join("");
  };
  const cases: [string, Partial<Instance>, Record<string, string>][] = [
    ["k=v tag becomes k: v, bare tag x becomes x: x", { tags: ["env=prod", "canary"], meta: {} }, { env: "prod", canary: "canary" }],
    ["meta wins over a tag of the same key", { tags: ["zone=b"], meta: { zone: "a" } }, { zone: "a" }],
    ["first tag of a key wins", { tags: ["v=1", "v=2"], meta: {} }, { v: "1" }],
    ["value may hold '=' and be empty", { tags: ["q=a=b", "e="], meta: {} }, { q: "a=b", e: "" }],
    ["empty key and reserved keys are not written from tags", { tags: ["=x", "portolan.owner=evil"], meta: {} }, {}],
  ];
  cases.forEach(([name, over, want], i) => {
    it(`${i}_${name}; round trip exact`, () => {
      const inst = { ...web, ...over };
      const got = metadata(inst);
      expect(got).toMatchObject(want);
      expect(got["portolan.owner"]).toBe("host1");
      expect(JSON.parse(got["portolan.tags"]!)).toEqual(inst.tags);
      expect(decodeCurator("web", encodeCurator(inst, T, "spring"))).toEqual({ ok: true, instance: inst });
    });
  });
  it("5_a meta key equal to a tag's k=v stays meta when read back", () => {
    const inst = { ...web, tags: ["zone=a"], meta: { zone: "a" } };
    expect(metadata(inst)["portolan.tagkeys"]).toBeUndefined();
    expect(decodeCurator("web", encodeCurator(inst, T, "spring"))).toEqual({ ok: true, instance: inst });
  });
  it("6_entries written before tags became keys (no portolan.tagkeys) read back as before", () => {
    const old = JSON.stringify({
      name: "web", id: web.id, address: web.address, port: web.port, sslPort: null,
      payload: { "@class": "org.springframework.cloud.zookeeper.discovery.ZookeeperInstance", id: web.id, name: "web",
        metadata: { zone: "a", "portolan.owner": "host1", "portolan.protocol": "tcp", "portolan.tags": '["x"]' } },
      registrationTimeUTC: T, serviceType: "DYNAMIC", uriSpec: null,
    });
    expect(decodeCurator("web", old)).toEqual({ ok: true, instance: { ...web, tags: ["x"], meta: { zone: "a" } } });
  });
  it("7_a malformed portolan.tagkeys is refused", () => {
    const bad = encodeCurator(web, T, "spring").replace('"portolan.tagkeys":"[', '"portolan.tagkeys":"{[');
    expect(decodeCurator("web", bad)).toMatchObject({ ok: false, reason: expect.stringContaining("portolan.tagkeys") });
  });
  it("8_uriSpec builds http://ADDRESS:PORT, with brackets for IPv6", () => {
    expect(uri(web)).toBe("http://10.0.0.5:32768");
    expect(uri({ ...web, address: "fd00::5" })).toBe("http://[fd00::5]:32768");
  });
  it("9_payload=none keeps uriSpec null (byte-exact Curator default)", () => {
    expect(JSON.parse(encodeCurator(web, T, "none"))).toMatchObject({ uriSpec: null, payload: null });
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
