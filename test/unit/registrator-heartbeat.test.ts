// Heartbeats are fair between containers: one container declaring hundreds of short TTL checks cannot make another
// container's TTL check expire (fake clock, a backend whose setHealth takes 50 ms).
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import type { Health, InstanceRef } from "../../src/core/model.js";
import { beatRounds } from "../../src/registrator/heartbeat.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { env, fakeInspect, ports } from "./fixtures/container.js";
import type { ContainerInfo } from "../../src/docker/engine.js";
import { FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";
import { FakeClock } from "../support/fake-clock.js";

describe("beatRounds", () => {
  const e = (c: string, n: number, at = n) => ({ c, n, at });
  const rounds = (due: ReturnType<typeof e>[]) => beatRounds(due, (x) => x.c, (x) => x.at).map((r) => r.map((x) => `${x.c}${x.n}`));
  const table: Array<[string, ReturnType<typeof e>[], string[][]]> = [
    ["empty", [], []],
    ["one_container_oldest_first", [e("a", 3), e("a", 1), e("a", 2)], [["a1"], ["a2"], ["a3"]]],
    ["first_round_has_every_container", [e("a", 1), e("a", 2), e("a", 3), e("b", 9)], [["a1", "b9"], ["a2"], ["a3"]]],
    ["containers_by_oldest_due", [e("b", 5), e("a", 7), e("b", 6)], [["b5", "a7"], ["b6"]]],
  ];
  table.forEach(([name, due, want], i) => it(`${i}_${name}`, () => expect(rounds(due)).toEqual(want)));
});

function exposing(id: string, name: string, n: number, ttl: string): ContainerInfo {
  const spec = Object.fromEntries(Array.from({ length: n }, (_, k) => [`${2000 + k}/tcp`, null]));
  return fakeInspect({ Id: id, Name: `/${name}` }, ports(spec), env({ SERVICE_NAME: name, SERVICE_CHECK_TTL: ttl })) as ContainerInfo;
}

describe("Registrator heartbeats", () => {
  it("0_a container with 1000 one-second TTL checks does not delay another container's beats past its TTL", async () => {
    const clock = new FakeClock();
    const victimBeats: number[] = [];
    let beats = 0;
    const reg = new (class extends MemoryRegistry {
      override async setHealth(r: InstanceRef, s: Health, o: string) {
        beats++;
        if (r.name === "victim") victimBeats.push(clock.now());
        await clock.sleep(50);
        return super.setHealth(r, s, o);
      }
    })();
    const d = new FakeDocker();
    d.containers.set("att", exposing("att", "att", 1000, "1s"));
    d.containers.set("vic", exposing("vic", "victim", 1, "2s"));
    const r = new Registrator(d, reg, { ...LOOP_OPTS, mapping: { ...LOOP_OPTS.mapping, internal: true } }, () => {}, clock);
    const started = r.start();
    await clock.advance(0);
    await started;
    expect(await reg.listOwned("h1")).toHaveLength(1001);
    const registeredAt = clock.now();
    await clock.advance(10_000);
    const times = [registeredAt, ...victimBeats];
    const gaps = times.slice(1).map((t, k) => t - times[k]!);
    // The victim's 2 s TTL is beaten every second (half its TTL), give or take one 500 ms tick: never near its TTL.
    expect(victimBeats.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_500);
    // The attacker still gets beats, just no more than the backend can take in its share.
    expect(beats - victimBeats.length).toBeGreaterThan(100);
    const stopping = r.stop({ deregisterAll: false });
    await clock.advance(1_000); // the beats in flight take their 50 ms
    await stopping;
  }, 60_000);
});

describe("Registrator health output", () => {
  /** A container with a 10 s TTL check whose last HEALTHCHECK probe printed `output`. */
  const probed = (status: string, output: string) =>
    fakeInspect({ Id: "web", Name: "/web", State: { Health: { Status: status, Log: [{ Output: "an older probe" }, { Output: output }] } } } as never, ports({ "80/tcp": null }), env({ SERVICE_NAME: "web", SERVICE_CHECK_TTL: "10s" })) as ContainerInfo;

  it("1_a health change writes the last probe's output (bounded, untrusted) and every heartbeat repeats it", async () => {
    const clock = new FakeClock();
    const writes: Array<[Health, string]> = [];
    const reg = new (class extends MemoryRegistry {
      override async setHealth(r: InstanceRef, s: Health, o: string) {
        writes.push([s, o]);
        return super.setHealth(r, s, o);
      }
    })();
    const d = new FakeDocker();
    d.containers.set("web", probed("healthy", "ok\n"));
    const r = new Registrator(d, reg, { ...LOOP_OPTS, mapping: { ...LOOP_OPTS.mapping, internal: true } }, () => {}, clock);
    const started = r.start();
    await clock.advance(0);
    await started;
    expect(await reg.listOwned("h1")).toHaveLength(1);
    // A registration writes no output: the next tick's beat carries the probe's.
    await clock.advance(600);
    expect(writes).toEqual([["passing", "ok"]]);
    d.containers.set("web", probed("unhealthy", `HTTP 503\u0000\u001b[31m ${"x".repeat(5_000)}`));
    d.emit("web", "health_status: unhealthy", BigInt(clock.now()) * 1_000_000n);
    await clock.advance(100);
    const [health, output] = writes.at(-1)!;
    expect(health).toBe("critical");
    expect(output.startsWith("HTTP 503\ufffd\ufffd[31m xxx")).toBe(true);
    expect(output.length).toBeLessThanOrEqual(1_024);
    // The heartbeats (half the 10 s TTL) say the same until the next change.
    const before = writes.length;
    await clock.advance(12_000);
    expect(writes.length).toBeGreaterThan(before);
    expect(writes.slice(before).every(([s, o]) => s === "critical" && o === output)).toBe(true);
    await r.stop({ deregisterAll: false });
  });

  it("2_without a probe output the write says the health, as before", async () => {
    const clock = new FakeClock();
    const outputs: string[] = [];
    const reg = new (class extends MemoryRegistry {
      override async setHealth(r: InstanceRef, s: Health, o: string) {
        outputs.push(o);
        return super.setHealth(r, s, o);
      }
    })();
    const d = new FakeDocker();
    d.containers.set("web", fakeInspect({ Id: "web", Name: "/web" }, ports({ "80/tcp": null }), env({ SERVICE_NAME: "web", SERVICE_CHECK_TTL: "10s" })) as ContainerInfo);
    const r = new Registrator(d, reg, { ...LOOP_OPTS, mapping: { ...LOOP_OPTS.mapping, internal: true } }, () => {}, clock);
    const started = r.start();
    await clock.advance(0);
    await started;
    await clock.advance(6_000);
    expect(outputs.length).toBeGreaterThan(0);
    expect(new Set(outputs)).toEqual(new Set(["docker health: passing"]));
    await r.stop({ deregisterAll: false });
  });
});
