// Instance details: check output and the backend's registration time, from each backend's own fields into the
// model (bounded, control characters replaced), the catalog's `since`, and never into the registrator's plan.
import { describe, expect, it } from "vitest";
import { boundText, MAX_CHECK_OUTPUT, type Instance } from "../../src/core/model.js";
import { checkOutput, toInstance } from "../../adapters/consul/mapping.js";
import type { ConsulCheckState } from "../../adapters/consul/types.js";
import { fromInstanceInfo, toInstanceInfo } from "../../adapters/eureka/mapping.js";
import { CatalogState } from "../../src/catalog/state.js";
import { plan } from "../../src/registrator/planner.js";

function inst(over: Partial<Instance> = {}): Instance {
  return { id: "h1:web:80", name: "web", address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h1", ...over };
}

const check = (over: Partial<ConsulCheckState>): ConsulCheckState => ({ CheckID: "c", Name: "c", Status: "passing", ServiceID: "h1:web:80", ServiceName: "web", ...over });

describe("boundText", () => {
  const cases: [string, string, number, string][] = [
    ["short text kept", "ok", 10, "ok"],
    ["newline and tab kept", "a\n\tb", 10, "a\n\tb"],
    ["control characters replaced", "a\u0000b\u001b[31mc\u007f", 20, "a\ufffdb\ufffd[31mc\ufffd"],
    ["cut with an ellipsis", "abcdefghij", 5, "abcd…"],
    ["exactly max kept", "abcde", 5, "abcde"],
  ];
  it.each(cases.map(([n, ...rest], i) => [`${i}_${n}`, ...rest] as const))("%s", (_n, text, max, want) => {
    expect(boundText(text, max)).toBe(want);
  });
});

describe("consul check output", () => {
  const cases: [string, ConsulCheckState[], string | undefined][] = [
    ["no output: undefined", [check({ Output: "" })], undefined],
    ["one check", [check({ Name: "Docker health", Output: "docker health: passing\n" })], "Docker health: docker health: passing"],
    [
      "worst first",
      [check({ Name: "a", Output: "fine" }), check({ Name: "b", Status: "critical", Output: "HTTP GET http://x: 500" }), check({ Name: "c", Status: "warning", Output: "slow" })],
      "b: HTTP GET http://x: 500\nc: slow\na: fine",
    ],
    ["a passing node check left out", [check({ Name: "Serf Health Status", ServiceID: "", Output: "Agent alive and reachable" })], undefined],
    ["a failing node check shown", [check({ Name: "Serf Health Status", ServiceID: "", Status: "critical", Output: "Agent not live" })], "Serf Health Status: Agent not live"],
    ["no name: the check ID", [check({ Name: "", CheckID: "service:web", Output: "x" })], "service:web: x"],
  ];
  it.each(cases.map(([n, ...rest], i) => [`${i}_${n}`, ...rest] as const))("%s", (_n, checks, want) => {
    expect(checkOutput(checks)).toBe(want);
  });

  it("6_bounded to MAX_CHECK_OUTPUT, HTML left as text for the writer to escape", () => {
    const out = checkOutput([check({ Name: "x", Output: `<img src=x onerror=alert(1)>${"y".repeat(5000)}` })])!;
    expect(out.length).toBe(MAX_CHECK_OUTPUT);
    expect(out.startsWith("x: <img src=x onerror=alert(1)>")).toBe(true);
    expect(out.endsWith("…")).toBe(true);
  });

  it("7_only the watch's view carries it (listOwned's must equal what was registered)", () => {
    const svc = { ID: "h1:web:80", Service: "web", Address: "10.0.0.1", Port: 80, Meta: { portolan_owner: "h1" } };
    const checks = [check({ Output: "boom", Status: "critical" })];
    expect(toInstance(svc, checks, { nodeName: "n", health: "aggregate" }).checkOutput).toBe("c: boom");
    expect(toInstance(svc, checks, { nodeName: "n", health: "ttl" }).checkOutput).toBeUndefined();
  });
});

describe("registration time", () => {
  it("0_eureka: the server's leaseInfo.registrationTimestamp", () => {
    const info = toInstanceInfo(inst({ meta: {} }), { renewMs: 30_000, leaseMs: 90_000 }, 1);
    info.leaseInfo = { ...info.leaseInfo!, registrationTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5) };
    expect(fromInstanceInfo(info)?.registeredAt).toBe("2026-01-02T03:04:05.000Z");
    delete info.leaseInfo.registrationTimestamp;
    expect(fromInstanceInfo(info)?.registeredAt).toBeUndefined();
  });

  it("1_the catalog's since is the backend's time where it has one, else its own first sight", () => {
    const s = new CatalogState({ boot: "b", clock: () => Date.UTC(2026, 5, 1) });
    s.apply({ version: 1, instances: [inst({ id: "h1:a:80", registeredAt: "2026-01-01T00:00:00.000Z" }), inst({ id: "h1:b:80" })] });
    expect(s.get("h1:a:80")?.since).toBe("2026-01-01T00:00:00.000Z");
    expect(s.get("h1:b:80")?.since).toBe("2026-06-01T00:00:00.000Z");
  });

  it("2_a change of output alone is a change the catalog shows", () => {
    const s = new CatalogState({ boot: "b", clock: () => 0 });
    s.apply({ version: 1, instances: [inst({ checkOutput: "a" })] });
    const e = s.apply({ version: 2, instances: [inst({ checkOutput: "b" })] });
    expect(e).toMatchObject({ type: "change", data: { changed: [{ checkOutput: "b" }] } });
  });

  it("3_what the backend reports never makes the registrator write", () => {
    expect(plan([inst()], [inst({ checkOutput: "x", registeredAt: "2026-01-01T00:00:00.000Z" })], { mayRemove: () => true })).toEqual([]);
  });
});
