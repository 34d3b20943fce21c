// `portolan up` in its own container with the Docker socket mounted (as registrators run) registers a container
// started beside it; its catalog answers on the host's loopback (host network).
import { execFileSync, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, publishedPort, removeTestContainers, RUN_LABEL, startTestContainer } from "./docker.js";
import { get } from "./catalog-support.js";
import { buildPortolanImage, PORTOLAN_IMAGE } from "./catalog-image.js";

const owner = `cat-img-${process.pid}`;
const svc = `catimg${process.pid}`;
const name = `${owner}-portolan`;
const API = "http://127.0.0.1:18740";

describe("the portolan image", () => {
  beforeAll(() => {
    buildPortolanImage();
  }, 180_000);
  afterAll(async () => {
    try {
      execFileSync("docker", ["rm", "-f", name], { stdio: "ignore" });
    } catch {
      // not started
    }
    await removeTestContainers();
  });

  it("0_portolan up in a container registers a container started beside it", async () => {
    execFileSync("docker", ["run", "-d", "--name", name, "--label", `${RUN_LABEL}=image`, "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock", PORTOLAN_IMAGE, "up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18740", "--log-format", "json"], { stdio: "ignore" });
    const logs = () => {
      const r = spawnSync("docker", ["logs", name], { encoding: "utf8" });
      const ps = spawnSync("docker", ["ps", "-a", "--filter", `name=${name}`, "--format", "{{.Names}} {{.Status}}"], { encoding: "utf8" });
      return `${r.stdout}${r.stderr}\ndocker ps: ${ps.stdout}${ps.stderr}`; // portolan logs to stderr
    };
    await eventually("catalog in the container answers", async () => (await get(`${API}/healthz`)).status === 200, 60_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${logs()}`);
    });
    const c = await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: svc } });
    const port = await publishedPort(c, "80/tcp");
    const body = await eventually("registered by the containerised portolan", async () => {
      const r = await get(`${API}/v1/services/${svc}`);
      return r.status === 200 ? r.json<{ instances: { id: string; address: string; port: number }[] }>() : undefined;
    }, 30_000, 250);
    expect(body.instances).toEqual([expect.objectContaining({ id: `${owner}:${owner}-web:80`, address: "127.0.0.1", port })]);
    expect(logs()).toMatch(/catalog listening on http:\/\/127\.0\.0\.1:18740/);
  });
});
