// withoutIdleNetworkEvents: which connect/disconnect events reach the registrator, given the lists and the events.
import { describe, expect, it } from "vitest";
import type { DockerEvent, DockerPort } from "../../src/docker/engine.js";
import { withoutIdleNetworkEvents } from "../../src/docker/network-events.js";

/** A port whose list answers when the test says, and whose stream yields what the test pushes. */
function scripted() {
  const queue: DockerEvent[] = [];
  let wake: (() => void) | undefined;
  let answer: ((ids: string[]) => void) | undefined;
  let t = 0n;
  const port: DockerPort = {
    listRunning: () => new Promise((r) => (answer = r)),
    inspect: async () => undefined,
    events: async () =>
      (async function* () {
        for (;;) {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          yield queue.shift()!;
        }
      })(),
  };
  const push = (containerId: string, action: string) => {
    queue.push({ containerId, action, timeNano: ++t });
    wake?.();
  };
  return { port, push, answer: (ids: string[]) => answer!(ids) };
}

describe("withoutIdleNetworkEvents", () => {
  it("0_keeps what a list or a start says runs, drops the rest, in the order dockerd sends it", async () => {
    const s = scripted();
    const f = withoutIdleNetworkEvents(s.port);
    const it = (await f.events(undefined, new AbortController().signal))[Symbol.asyncIterator]();
    const seen: string[] = [];
    const next = async () => {
      const e = (await it.next()).value as DockerEvent;
      seen.push(`${e.containerId} ${e.action}`);
    };
    const listed = f.listRunning();
    s.push("late", "start"); // started while the list is on its way: its answer may not have it
    await next();
    s.answer(["old"]);
    expect(await listed).toEqual(["old"]);
    for (const [id, action] of [["gone", "connect"], ["old", "connect"], ["late", "disconnect"], ["new", "connect"], ["new", "start"], ["old", "die"], ["old", "disconnect"], ["new", "connect"]]) s.push(id!, action!);
    for (let k = 0; k < 5; k++) await next();
    // Dropped: "gone" (never listed), "new" before its start, "old" after its die.
    expect(seen).toEqual(["late start", "old connect", "late disconnect", "new start", "old die", "new connect"]);
  });
});
