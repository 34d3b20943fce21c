import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { fromInstanceInfo, META, toHealth, toInstanceInfo, toStatus } from "../../adapters/eureka/mapping.js";
import type { EurekaInstanceInfo } from "../../adapters/eureka/types.js";

const base: Instance = {
  id: "host1:web-1:80", name: "web", address: "10.0.0.5", port: 32768, protocol: "tcp",
  tags: ["primary", "a,b"], meta: { version: "1.2" }, checks: [], health: "passing", owner: "host1",
  container: { id: "abc123", name: "web-1" },
};
const LEASE = { renewMs: 30_000, leaseMs: 90_000 };

describe("eureka mapping", () => {
  it("0_writes what Eureka's clients read: app upper-cased, vipAddress, port, status, lease, metadata", () => {
    const info = toInstanceInfo(base, LEASE, 1234);
    expect(info).toMatchObject({
      instanceId: "host1:web-1:80", app: "WEB", vipAddress: "web", secureVipAddress: "web", hostName: "10.0.0.5", ipAddr: "10.0.0.5",
      status: "UP", port: { $: 32768, "@enabled": "true" }, securePort: { "@enabled": "false" },
      dataCenterInfo: { name: "MyOwn" }, leaseInfo: { renewalIntervalInSecs: 30, durationInSecs: 90 }, lastDirtyTimestamp: 1234,
    });
    expect(info.metadata).toEqual({
      version: "1.2", [META.owner]: "host1", [META.tags]: JSON.stringify(["primary", "a,b"]),
      [META.containerId]: "abc123", [META.containerName]: "web-1",
    });
  });

  const cases: [string, Instance][] = [
    ["plain", base],
    ["udp, checks, no container", { ...base, protocol: "udp", container: undefined, checks: [{ type: "http", target: "http://10.0.0.5:80/h", intervalMs: 10_000 }] } as Instance],
    ["mixed-case name", { ...base, name: "Web-API" }],
    ["warning", { ...base, health: "warning" }],
    ["critical", { ...base, health: "critical", tags: [] }],
  ];
  cases.forEach(([name, i], n) => {
    it(`${n + 1}_round trip: ${name}`, () => {
      const { container, ...rest } = i;
      const want = container ? i : rest;
      expect(fromInstanceInfo(toInstanceInfo(i, LEASE, 1))).toEqual(want);
    });
  });

  it("6_health <-> status: passing UP, warning STARTING, critical DOWN; OUT_OF_SERVICE and UNKNOWN read as critical", () => {
    expect([toStatus("passing"), toStatus("warning"), toStatus("critical")]).toEqual(["UP", "STARTING", "DOWN"]);
    expect(["UP", "STARTING", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"].map(toHealth)).toEqual(["passing", "warning", "critical", "critical", "critical"]);
  });

  const spring: EurekaInstanceInfo = {
    instanceId: "10.0.0.9:orders:8080", app: "ORDERS", hostName: "orders-7f9", ipAddr: "10.0.0.9", vipAddress: "orders", status: "UP",
    port: { $: 8080, "@enabled": "true" }, securePort: { $: 443, "@enabled": "false" },
    dataCenterInfo: { "@class": "x", name: "MyOwn" }, metadata: { "management.port": "8080", zone: "a" },
  };
  it("7_an instance a Spring client registered reads with its metadata as meta, owned by its host", () => {
    expect(fromInstanceInfo(spring)).toEqual({
      id: "10.0.0.9:orders:8080", name: "orders", address: "10.0.0.9", port: 8080, protocol: "tcp", tags: [],
      meta: { "management.port": "8080", zone: "a" }, checks: [], health: "passing", owner: "orders-7f9",
    });
  });
  it("8_only a secure port: that port; no enabled port or a name that is no DNS label: left out", () => {
    expect(fromInstanceInfo({ ...spring, port: { $: 8080, "@enabled": "false" }, securePort: { $: 8443, "@enabled": true } })?.port).toBe(8443);
    expect(fromInstanceInfo({ ...spring, port: { $: 8080, "@enabled": "false" } })).toBeUndefined();
    expect(fromInstanceInfo({ ...spring, app: "MY_APP", vipAddress: "my_app" })).toBeUndefined();
  });
  it("9_a vipAddress that is not the app's name is not taken for the name", () => {
    expect(fromInstanceInfo({ ...spring, vipAddress: "something-else" })?.name).toBe("orders");
  });
  it("10_forged or broken bookkeeping metadata does not throw: tags and checks that are not JSON read as none", () => {
    const i = fromInstanceInfo({ ...spring, metadata: { [META.owner]: "h", [META.tags]: "not json", [META.checks]: "[{\"type\":\"nope\"}]" } });
    expect(i).toMatchObject({ owner: "h", tags: [], checks: [], meta: {} });
  });
});
