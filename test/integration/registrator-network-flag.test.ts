// `--internal --network NAME` as a real process against the test bed's dockerd: a network dockerd does not have is
// refused at start-up (exit 64 naming the flag and the network, before the backend is contacted); a container not on
// the network is refused with one log line, as SERVICE_NETWORK naming a network it is not on.
import { afterEach, describe, expect, it } from "vitest";
import type { Registry } from "../../src/core/registry.js";
import { BACKENDS, open } from "./backends.js";
import { runCli, startCli, stopCli, type Running } from "./cli.js";
import { docker, eventually, removeNetworks, removeTestContainers, RUN_LABEL, startTestContainer } from "./docker.js";

const owner = `netflag-${process.pid}`;
const zk = BACKENDS.find((b) => b.name === "zk-curator")!;
let proc: Running | undefined;
let reg: Registry | undefined;

afterEach(async () => {
  await stopCli(proc);
  proc = undefined;
  await removeTestContainers();
  await removeNetworks(`${owner}-`);
  if (reg) {
    for (const i of await reg.listOwned(owner)) await reg.deregister(i);
    await reg.close();
    reg = undefined;
  }
});

describe("registrator --network", () => {
  it("0_a network dockerd does not have: exit 64 naming --network and it, before the backend is contacted", () => {
    // Port 1 on loopback: nothing listens, so any attempt to reach the backend would show as a different failure.
    const started = Date.now();
    const r = runCli(["registrator", "--hostname", owner, "--internal", "--network", "nosuchnet", "--log-format", "json", "consul://127.0.0.1:1"]);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toContain("--network");
    expect(r.stderr).toContain('"nosuchnet"');
    expect(r.stderr).toContain("bridge");
    expect(r.stderr).not.toMatch(/consul|ECONNREFUSED/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("1_--network without --internal: exit 64 naming the flag", () => {
    const r = runCli(["registrator", "--hostname", owner, "--network", "bridge", "memory:"]);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toContain("--network");
    expect(r.stderr).toContain("--internal");
  });

  it("2_container on the network: its address there; container not on it: refused with one line naming --network", async () => {
    const netName = `${owner}-net`;
    const net = await docker.createNetwork({ Name: netName, Labels: { [RUN_LABEL]: "1" } });
    const on = await startTestContainer({ name: `${owner}-on`, ports: ["80/tcp"], publish: false, env: { SERVICE_NAME: "neton" } });
    await net.connect({ Container: on.id });
    await startTestContainer({ name: `${owner}-off`, ports: ["80/tcp"], publish: false, env: { SERVICE_NAME: "netoff" } });
    const netIp = (await on.inspect()).NetworkSettings.Networks[netName]?.IPAddress;
    expect(netIp).toBeTruthy();
    reg = await open(zk);
    proc = startCli(["registrator", "--hostname", owner, "--internal", "--network", netName, "--resync", "0", "--log-format", "json", zk.uri]);
    const onId = `${owner}:${owner}-on:80`;
    await eventually("registered on the --network network", async () => (await reg!.listOwned(owner)).find((i) => i.id === onId)?.address === netIp, 20_000);
    await eventually("refusal logged", () => proc!.logs().includes(`container ${owner}-off port 80/tcp: --network:`), 10_000);
    const refusals = proc.logs().split("\n").filter((l) => l.includes(`container ${owner}-off`));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain(`network \\"${netName}\\" is not attached to the container (attached: bridge)`);
    expect((await reg.listOwned(owner)).map((i) => i.id)).toEqual([onId]);
  }, 40_000);
});
