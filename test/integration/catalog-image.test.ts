// The image built by `docker build` from the Dockerfile, run as operators run it (README "Running it
// on a host"): host network, the Docker socket mounted, registering a container started beside it. `up` with its
// catalog on the host's loopback; `registrator` against the ACL-enforcing Consul with the token from --env-file.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, publishedPort, removeTestContainers, RUN_LABEL, startTestContainer } from "./docker.js";
import { get } from "./catalog-support.js";
import { buildPortolanImage, PORTOLAN_IMAGE } from "./catalog-image.js";
import { consulAclTokens, httpCall, TESTBED } from "./testbed.js";

const owner = `cat-img-${process.pid}`;
const svc = `catimg${process.pid}`;
const name = `${owner}-portolan`;
const API = "http://127.0.0.1:18740";
const dir = mkdtempSync(join(tmpdir(), "portolan-image-test-"));

const logsOf = (container: string) => {
  const r = spawnSync("docker", ["logs", container], { encoding: "utf8" });
  const ps = spawnSync("docker", ["ps", "-a", "--filter", `name=${container}`, "--format", "{{.Names}} {{.Status}}"], { encoding: "utf8" });
  return `${r.stdout}${r.stderr}\ndocker ps: ${ps.stdout}${ps.stderr}`; // portolan logs to stderr
};
const rmForce = (container: string) => spawnSync("docker", ["rm", "-f", container], { stdio: "ignore" });

describe("the portolan image", () => {
  beforeAll(() => {
    buildPortolanImage();
  }, 600_000);
  afterAll(async () => {
    rmForce(name);
    rmForce(`${name}-consul`);
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  it("0_portolan up in a container registers a container started beside it", async () => {
    execFileSync("docker", ["run", "-d", "--name", name, "--label", `${RUN_LABEL}=image`, "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock", PORTOLAN_IMAGE, "up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18740", "--log-format", "json"], { stdio: "ignore" });
    await eventually("catalog in the container answers", async () => (await get(`${API}/healthz`)).status === 200, 60_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${logsOf(name)}`);
    });
    const c = await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: svc } });
    const port = await publishedPort(c, "80/tcp");
    const body = await eventually("registered by the containerised portolan", async () => {
      const r = await get(`${API}/v1/services/${svc}`);
      return r.status === 200 ? r.json<{ instances: { id: string; address: string; port: number }[] }>() : undefined;
    }, 30_000, 250);
    expect(body.instances).toEqual([expect.objectContaining({ id: `${owner}:${owner}-web:80`, address: "127.0.0.1", port })]);
    expect(logsOf(name)).toMatch(/catalog listening on http:\/\/127\.0\.0\.1:18740/);
  });

  it("1_the README's docker run line: registrator against ACL Consul, token from --env-file, --ip", async () => {
    const tokens = consulAclTokens();
    const envFile = join(dir, "portolan.env");
    writeFileSync(envFile, `CONSUL_HTTP_TOKEN=${tokens.registrator}\n`, { mode: 0o600 });
    const host = `${owner}-c`;
    const registry = `consul://${TESTBED.consulAcl.host}:${TESTBED.consulAcl.port}`;
    execFileSync("docker", ["run", "-d", "--name", `${name}-consul`, "--label", `${RUN_LABEL}=image`, "--net=host", "-v", "/var/run/docker.sock:/var/run/docker.sock", "--env-file", envFile, PORTOLAN_IMAGE, "registrator", "--hostname", host, "--ip", "127.0.0.2", "--log-format", "json", registry], { stdio: "ignore" });
    const c = await startTestContainer({ name: `${host}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: `${svc}c` } });
    const port = await publishedPort(c, "80/tcp");
    const read = async () => {
      const r = await httpCall({ ...TESTBED.consulAcl, path: `/v1/catalog/service/${svc}c`, headers: { "X-Consul-Token": tokens.management } });
      return JSON.parse(r.body) as { ServiceID: string; ServiceAddress: string; ServicePort: number }[];
    };
    const entries = await eventually("registered in Consul by the containerised registrator", async () => {
      const e = await read();
      return e.length > 0 ? e : undefined;
    }, 60_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${logsOf(`${name}-consul`)}`);
    });
    expect(entries).toEqual([expect.objectContaining({ ServiceID: `${host}:${host}-web:80`, ServiceAddress: "127.0.0.2", ServicePort: port })]);
    rmForce(`${host}-web`);
    await eventually("deregistered when the container is removed", async () => (await read()).length === 0, 30_000, 250);
    expect(logsOf(`${name}-consul`)).not.toContain(tokens.registrator);
  });
});
