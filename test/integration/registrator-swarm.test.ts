// Swarm-mode tasks on the test bed's dockerd: `docker swarm init` on loopback, `docker service create --replicas 2`
// with SERVICE_* container labels on an overlay network; the built CLI registers each task at its overlay address,
// named after the swarm service; scaling down and removing the service deregister. Swarm mode is left in a finally
// (and the networks it made removed), so the shared dockerd is in swarm mode for this case only.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { BACKENDS, open } from "./backends.js";
import { startCli } from "./cli.js";
import { docker, eventually } from "./docker.js";
import { registratorCases } from "./registrator-cleanup.js";
import { TESTBED } from "./testbed.js";

const run = promisify(execFile);
const dockerCli = (...args: string[]) => run("docker", args, { timeout: 60_000 }).then((r) => r.stdout.trim());
const owner = `swarm-${process.pid}`;
const service = `sw${process.pid}`;
const consul = BACKENDS.find((b) => b.name === "consul")!;
const bed = registratorCases(owner);

/** The overlay address of each running task container of `service`, by container name. */
async function taskAddresses(net: string): Promise<Map<string, string>> {
  const list = await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${service}`] } });
  const out = new Map<string, string>();
  for (const c of list) {
    const info = await docker.getContainer(c.Id).inspect();
    out.set(info.Name.replace(/^\//, ""), info.NetworkSettings.Networks[net]?.IPAddress ?? "");
  }
  return out;
}

async function leaveSwarm(net: string): Promise<void> {
  await dockerCli("service", "rm", service).catch(() => "");
  await eventually("tasks gone", async () => (await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${service}`] } })).length === 0, 30_000).catch(() => undefined);
  await dockerCli("network", "rm", net).catch(() => "");
  await dockerCli("swarm", "leave", "--force").catch(() => "");
  // swarm init made docker_gwbridge; it outlives the swarm unless removed (it fails, harmlessly, while in use).
  await dockerCli("network", "rm", "docker_gwbridge").catch(() => "");
}

describe("registrator, swarm-mode tasks", () => {
  it("0_each task at its overlay address, named after the service; scale down and removal deregister", async () => {
    const state = await dockerCli("info", "--format", "{{.Swarm.LocalNodeState}}");
    expect(state, "the test bed's dockerd is already in swarm mode: someone else's swarm, not ours to init or leave").toBe("inactive");
    const net = `${owner}-ov`;
    try {
      await dockerCli("swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377");
      await dockerCli("network", "create", "--driver", "overlay", "--attachable", net);
      const reg = await open(consul);
      bed.registries.push(reg);
      bed.proc = startCli(["registrator", "--hostname", owner, "--resync", "0", "--log-format", "json", consul.uri]);
      await dockerCli(
        "service", "create", "--detach", "--name", service, "--replicas", "2", "--network", net, "--stop-signal", "SIGKILL",
        "--container-label", "SERVICE_PORT=8080", "--container-label", "SERVICE_TAGS=swarm",
        TESTBED.busyboxImage, "sleep", "3600",
      );
      const tasks = await eventually("two running tasks", async () => ((await taskAddresses(net)).size === 2 ? taskAddresses(net) : undefined), 60_000);
      const want = [...tasks].map(([name, ip]) => [`${owner}:${name}:8080`, service, ip, 8080, ["swarm"]]).sort();
      expect([...tasks.values()].every((ip) => /^10\./.test(ip))).toBe(true);
      const owned = async () => (await reg.listOwned(owner)).map((i) => [i.id, i.name, i.address, i.port, i.tags]).sort();
      await eventually("both tasks registered", async () => JSON.stringify(await owned()) === JSON.stringify(want), 30_000);

      await dockerCli("service", "scale", "--detach", `${service}=1`);
      await eventually("one task left registered", async () => (await owned()).length === 1, 30_000);
      const [left] = await owned();
      expect(want.map((w) => w[0])).toContain(left![0]);

      await dockerCli("service", "rm", service);
      await eventually("none registered after removal", async () => (await owned()).length === 0, 30_000);
    } finally {
      await leaveSwarm(net);
    }
    expect(await dockerCli("info", "--format", "{{.Swarm.LocalNodeState}}")).toBe("inactive");
  }, 180_000);
});
