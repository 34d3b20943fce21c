// Several networks on the real dockerd: two `docker network create` networks, a container on both registered once
// per network (SERVICE_NETWORKS) through the built CLI into Consul, each entry at its own address with the network
// as tag and meta; the DNS shim answers `<network>.<name>.service.consul` with that network's address (dig).
import { describe, expect, it } from "vitest";
import { BACKENDS, open } from "./backends.js";
import { startCli } from "./cli.js";
import { dig, shim } from "./dns-support.js";
import { docker, eventually, RUN_LABEL, startTestContainer } from "./docker.js";
import { registratorCases } from "./registrator-cleanup.js";

const owner = `nets-${process.pid}`;
const name = `nets${process.pid}`;
const consul = BACKENDS.find((b) => b.name === "consul")!;
const bed = registratorCases(owner, `${owner}-`);

describe("registrator, a container on two networks", () => {
  it("0_one entry per network at its address, network in tag and meta; dig picks by tag; a bad list refused alone", async () => {
    const [front, back] = [`${owner}-front`, `${owner}-back`];
    for (const n of [front, back]) await docker.createNetwork({ Name: n, Labels: { [RUN_LABEL]: "1" } });
    const c = await startTestContainer({ name: `${owner}-a`, network: front, labels: { SERVICE_NAME: name, SERVICE_NETWORKS: `${front},${back}` } });
    await docker.getNetwork(back).connect({ Container: c.id });
    await startTestContainer({ name: `${owner}-bad`, network: front, labels: { SERVICE_NAME: `${name}x`, SERVICE_NETWORKS: `${front},nosuch` } });
    const nets = (await c.inspect()).NetworkSettings.Networks;
    const [frontIp, backIp] = [nets[front]!.IPAddress, nets[back]!.IPAddress];
    expect(frontIp).not.toBe(backIp);

    const reg = await open(consul);
    bed.registries.push(reg);
    const proc = (bed.proc = startCli(["registrator", "--hostname", owner, "--resync", "0", "--log-format", "json", consul.uri]));
    await eventually("both entries", async () => (await reg.listOwned(owner)).length === 2, 20_000);
    const got = (await reg.listOwned(owner)).map((i) => [i.id, i.address, i.port, i.tags, i.meta]);
    expect(got).toEqual([
      [`${owner}:${owner}-a@${back}`, backIp, null, [back], { network: back }],
      [`${owner}:${owner}-a@${front}`, frontIp, null, [front], { network: front }],
    ]);
    await eventually("the refusal", () => proc.logs().includes(`container ${owner}-bad: SERVICE_NETWORKS: network \\"nosuch\\" is not attached`), 10_000);

    const dns = await shim(reg);
    try {
      await eventually("the shim sees both", async () => (await dig(dns.port, `${name}.service.consul`, "A")).answer.length === 2, 10_000);
      expect((await dig(dns.port, `${front}.${name}.service.consul`, "A")).answer).toEqual([`${front}.${name}.service.consul. 0 IN A ${frontIp}`]);
      expect((await dig(dns.port, `${back}.${name}.service.consul`, "A")).answer).toEqual([`${back}.${name}.service.consul. 0 IN A ${backIp}`]);
    } finally {
      await dns.close();
    }

    // Leaving a listed network refuses the service (one line), and its entries go: never an address on the wrong network.
    await docker.getNetwork(back).disconnect({ Container: c.id });
    await eventually("entries removed after disconnect", async () => (await reg.listOwned(owner)).length === 0, 15_000);
    await eventually("the disconnect refusal", () => proc.logs().includes(`container ${owner}-a: SERVICE_NETWORKS: network \\"${back}\\" is not attached`), 10_000);
  }, 90_000);
});
