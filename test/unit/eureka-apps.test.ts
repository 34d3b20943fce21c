import { describe, expect, it } from "vitest";
import { AppsCopy, instancesOf, reconcileHashCode } from "../../adapters/eureka/apps.js";
import type { EurekaApplications, EurekaInstanceInfo } from "../../adapters/eureka/types.js";

const info = (app: string, id: string, status = "UP", extra: Partial<EurekaInstanceInfo> = {}): EurekaInstanceInfo => ({
  instanceId: id, app, hostName: "h", ipAddr: "10.0.0.1", status, port: { $: 80, "@enabled": "true" }, dataCenterInfo: { "@class": "x", name: "MyOwn" }, ...extra,
});
const apps = (hash: string | undefined, ...infos: EurekaInstanceInfo[]): EurekaApplications => {
  const byApp = new Map<string, EurekaInstanceInfo[]>();
  for (const i of infos) byApp.set(i.app, [...(byApp.get(i.app) ?? []), i]);
  return { applications: { versions__delta: "1", ...(hash !== undefined && { apps__hashcode: hash }), application: [...byApp].map(([name, instance]) => ({ name, instance })) } };
};

describe("eureka registry copy", () => {
  it("0_reconcile hash: statuses sorted, count each", () => {
    expect(reconcileHashCode([info("A", "1"), info("A", "2", "DOWN"), info("B", "3"), info("B", "4", "OUT_OF_SERVICE"), info("C", "5")])).toBe("DOWN_1_OUT_OF_SERVICE_1_UP_3_");
    expect(reconcileHashCode([])).toBe("");
  });

  it("1_one application or one instance as an object rather than a list", () => {
    const body = { applications: { application: { name: "A", instance: info("A", "1") } } } as unknown as EurekaApplications;
    expect(instancesOf(body).map((i) => i.instanceId)).toEqual(["1"]);
    expect(instancesOf({ applications: {} })).toEqual([]);
  });

  it("2_a delta adds, modifies and deletes; its hash confirms the copy", () => {
    const c = new AppsCopy();
    c.replace(apps("UP_2_", info("A", "1"), info("A", "2")));
    const d = c.applyDelta(apps("DOWN_1_UP_1_", info("A", "2", "DOWN", { actionType: "MODIFIED" }), info("B", "3", "UP", { actionType: "ADDED" }), info("A", "1", "UP", { actionType: "DELETED" })));
    expect(d).toEqual({ matches: true, changed: true });
    expect(c.instances().map((i) => `${i.app}/${i.instanceId}/${i.status}`).sort()).toEqual(["A/2/DOWN", "B/3/UP"]);
  });

  it("3_the same delta again (Eureka repeats its last minutes) changes nothing; renewals alone are no change", () => {
    const c = new AppsCopy();
    c.replace(apps("UP_1_", info("A", "1")));
    const delta = apps("UP_2_", info("B", "2", "UP", { actionType: "ADDED", leaseInfo: { renewalIntervalInSecs: 30, durationInSecs: 90 } }));
    expect(c.applyDelta(delta)).toEqual({ matches: true, changed: true });
    expect(c.applyDelta(delta)).toEqual({ matches: true, changed: false });
    const renewed = apps("UP_2_", info("B", "2", "UP", { actionType: "ADDED", leaseInfo: { renewalIntervalInSecs: 30, durationInSecs: 91 } }));
    expect(c.applyDelta(renewed)).toEqual({ matches: true, changed: false });
  });

  it("4_a delta that does not reproduce the server's hash (a change missed) says so; so does one without a hash", () => {
    const c = new AppsCopy();
    c.replace(apps("UP_2_", info("A", "1"), info("A", "2")));
    expect(c.applyDelta(apps("UP_3_", info("A", "2", "UP", { actionType: "MODIFIED" }))).matches).toBe(false);
    expect(c.applyDelta(apps(undefined)).matches).toBe(false);
  });

  it("5_app names compare case-insensitively; the same instance ID in two apps is two instances", () => {
    const c = new AppsCopy();
    c.replace(apps("UP_2_", info("A", "1"), info("B", "1")));
    c.applyDelta(apps("UP_1_", info("a", "1", "UP", { actionType: "DELETED" })));
    expect(c.instances().map((i) => i.app)).toEqual(["B"]);
  });
});
