// `--network` checked against dockerd's network list at start-up (requireNetwork), on a fake clock.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { requireNetwork, UnknownNetworkError } from "../../src/docker/networks.js";
import { DockerHostError } from "../../src/docker/client.js";
import { FakeClock } from "../support/fake-clock.js";

const NETS = ["bridge", "host", "none", "backend"];

function setup(answers: Array<string[] | Error>) {
  const clock = new FakeClock();
  const stop = new AbortController();
  const errors: number[] = [];
  let calls = 0;
  const list = async () => {
    const a = answers[Math.min(calls++, answers.length - 1)]!;
    if (a instanceof Error) throw a;
    return a;
  };
  const run = (network: string) => requireNetwork(network, list, { clock, signal: stop.signal, retryDelay: (n) => 100 * 2 ** n, onError: (_e, n) => errors.push(n) });
  return { clock, stop, errors, run, calls: () => calls };
}

describe("requireNetwork", () => {
  it("0_known_network_resolves_true", async () => {
    const s = setup([NETS]);
    await expect(s.run("backend")).resolves.toBe(true);
  });

  it("1_unknown_network_is_a_usage_error_naming_it", async () => {
    const s = setup([NETS]);
    const err = await s.run("nosuchnet").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownNetworkError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UnknownNetworkError).network).toBe("nosuchnet");
    expect((err as Error).message).toContain("--network");
  });

  it("2_name_must_match_exactly", async () => {
    const s = setup([NETS]);
    await expect(s.run("back")).rejects.toBeInstanceOf(UnknownNetworkError);
    await expect(s.run("Backend")).rejects.toBeInstanceOf(UnknownNetworkError);
  });

  it("3_docker_down_is_waited_for_with_backoff", async () => {
    const s = setup([new Error("ECONNREFUSED"), new Error("ECONNREFUSED"), NETS]);
    const p = s.run("backend");
    await s.clock.advance(99);
    expect(s.calls()).toBe(1);
    await s.clock.advance(1);
    expect(s.calls()).toBe(2);
    await s.clock.advance(200);
    await expect(p).resolves.toBe(true);
    expect(s.errors).toEqual([0, 1]);
  });

  it("4_stop_while_waiting_resolves_false", async () => {
    const s = setup([new Error("ECONNREFUSED")]);
    const p = s.run("backend");
    await s.clock.advance(1_000);
    s.stop.abort();
    await expect(p).resolves.toBe(false);
  });

  it("5_bad_DOCKER_HOST_is_not_retried", async () => {
    const s = setup([new DockerHostError("DOCKER_HOST=x: expected unix:///path or tcp://HOST:PORT")]);
    await expect(s.run("backend")).rejects.toBeInstanceOf(DockerHostError);
    expect(s.calls()).toBe(1);
  });
});
