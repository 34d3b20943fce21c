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
