// The fleet bench's simulated Docker Engine, read by portolan's own Docker client and mapping: what the registrators
// of bench/fleet see must be what they would see from dockerd (list, inspect, events with since, 404, restart).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SimEngine } from "../../bench/fleet/engine.js";
import { dockerTarget, httpDockerPort, listNetworkNames } from "../../src/docker/client.js";
import type { DockerEvent } from "../../src/docker/engine.js";
import { containerToServices } from "../../src/docker/mapping.js";

let dir: string;
let engine: SimEngine;
const port = () => httpDockerPort(dockerTarget({ DOCKER_HOST: engine.dockerHost }), 2000);

/** The next `n` events of a stream opened now (or from `since`). */
async function take(n: number, since: bigint | undefined, act: () => void = () => {}): Promise<DockerEvent[]> {
  const abort = new AbortController();
  const stream = await port().events(since, abort.signal);
  act();
  const got: DockerEvent[] = [];
  for await (const e of stream) {
    got.push(e);
    if (got.length === n) break;
  }
  abort.abort();
  return got;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "portolan-fleet-engine-"));
  engine = new SimEngine("host-1", join(dir, "docker.sock"));
  await engine.listen();
});
afterEach(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("fleet SimEngine", () => {
  it("0_list_and_inspect_map_to_the_default_id", async () => {
    const a = engine.start("web-1", "web", 31001);
    const b = engine.start("api-1", "api", 31002, "unhealthy");
    engine.remove(engine.start("gone-1", "web", 31003).id);
    expect((await port().listRunning()).sort()).toEqual([a.id, b.id].sort());
    const info = await port().inspect(b.id);
    const { instances } = containerToServices(info!, { hostname: "host-1", hostIp: "127.1.0.1", internal: false, explicit: false, tags: [] });
    expect(instances.map((i) => [i.id, i.name, i.address, i.port, i.health])).toEqual([["host-1:api-1:8080", "api", "127.1.0.1", 31002, "critical"]]);
    expect(await port().inspect("f".repeat(64))).toBeUndefined();
    expect(await listNetworkNames(dockerTarget({ DOCKER_HOST: engine.dockerHost }))).toContain("bridge");
  });

  it("1_events_stream_live_and_replay_since", async () => {
    const live = await take(3, undefined, () => {
      const c = engine.start("web-1", "web", 31001, "healthy");
      engine.setHealth(c.id, "unhealthy");
    });
    expect(live.map((e) => e.action)).toEqual(["start", "health_status", "health_status"]);
    // timeNano is read as a JSON number (within 256 ns of the engine's, which keeps events 1 µs apart): half-way
    // between the first two events, the replay starts at the second whichever way it was rounded.
    const since = live[1]!.timeNano - 500n;
    engine.remove(live[0]!.containerId);
    const replay = await take(4, since);
    // "kill" and "stop" are sent too; the registrator's parse leaves them out (see RELEVANT in src/docker/engine.ts).
    expect(replay.map((e) => e.action)).toEqual(["health_status", "health_status", "die", "destroy"]);
    expect(replay.every((e) => e.timeNano >= since)).toBe(true);
  });

  it("2_restart_cuts_streams_and_forgets_history", async () => {
    const c = engine.start("web-1", "web", 31001);
    const abort = new AbortController();
    const stream = await port().events(undefined, abort.signal);
    const ended = (async () => {
      for await (const _ of stream) void _;
      return "ended";
    })().catch(() => "ended"); // a cut stream ends or throws (ECONNRESET), as dockerd's does
    let added = "";
    await engine.restart(50, () => (added = engine.start("web-2", "web", 31002).id));
    expect(await ended).toBe("ended");
    expect((await port().listRunning()).sort()).toEqual([c.id, added].sort());
    // Nothing from before the restart is replayed; the next change is.
    const after = await take(1, 1n, () => engine.remove(c.id));
    expect(after.map((e) => [e.containerId, e.action])).toEqual([[c.id, "die"]]);
  });
});
