// glibc's resolver in a container: an app container whose --dns is a shim running in another container
// (`portolan up --internal` with the Docker socket, the embedded registry) resolves a peer by name with
// getaddrinfo (Node's dns.lookup) and by SRV, then talks to it over HTTP.
import type Dockerode from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { assertBuilt } from "./cli.js";
import { docker, RUN_LABEL, removeTestContainers, startTestContainer } from "./docker.js";
import { TESTBED } from "./testbed.js";
import { until } from "../support/until.js";
import { udpExchange, makeQuery, decode } from "../support/dns.js";

const REPO = new URL("../../", import.meta.url).pathname;
const LABELS = { [RUN_LABEL]: `r${process.pid}` };
const service = `dnsglibc${process.pid}`;

async function ip(c: Dockerode.Container): Promise<string> {
  return Object.values((await c.inspect()).NetworkSettings.Networks)[0]!.IPAddress;
}

/** Docker's multiplexed log stream (8-byte frame headers) as text. */
function demux(buf: Buffer): string {
  let out = "";
  for (let off = 0; off + 8 <= buf.length; off += 8 + buf.readUInt32BE(off + 4)) out += buf.toString("utf8", off + 8, off + 8 + buf.readUInt32BE(off + 4));
  return out;
}

/** Runs a node program in a fresh container of the test node image; returns its output. */
async function runNode(name: string, dnsServer: string, program: string): Promise<string> {
  const c = await docker.createContainer({
    name,
    Image: TESTBED.nodeImage,
    Cmd: ["node", "-e", program],
    Labels: LABELS,
    HostConfig: { Dns: [dnsServer] },
  });
  await c.start();
  const { StatusCode } = (await c.wait()) as { StatusCode: number };
  const out = demux(await c.logs({ stdout: true, stderr: true }));
  if (StatusCode !== 0) throw new Error(`${name} exited ${StatusCode}: ${out}`);
  return out;
}

afterAll(async () => {
  await removeTestContainers();
});

describe("glibc inside a container", () => {
  it("0_getaddrinfo and SRV through a shim in another container", async () => {
    assertBuilt();
    const web = await startTestContainer({ name: `${service}-web`, ports: ["80/tcp"], publish: false, env: { SERVICE_NAME: service }, cmd: ["sh", "-c", "mkdir -p /www && echo hello-from-web >/www/index.html && exec httpd -f -p 80 -h /www"] });
    const shimC = await docker.createContainer({
      name: `${service}-shim`,
      Image: TESTBED.nodeImage,
      Cmd: ["node", "/app/dist/src/cli/main.js", "up", "--internal", "--explicit", "--hostname", service, "--dns", "0.0.0.0:53", "--log-format", "json"],
      Labels: LABELS,
      HostConfig: { Binds: [`${REPO}:/app:ro`, `${TESTBED.dockerSocket}:/var/run/docker.sock`] },
    });
    await shimC.start();
    const shimIp = await ip(shimC);
    const webIp = await ip(web);
    const answered = async () => {
      try {
        return decode(await udpExchange(53, makeQuery(`${service}.service.consul`, "A"), 500, shimIp)).answer.length === 1;
      } catch {
        return false; // not listening yet
      }
    };
    await until("the shim in its container to answer for web", answered, 60_000, 200);
    const program = `
      const dns = require("dns");
      const http = require("http");
      dns.lookup("${service}.service.consul", { family: 4 }, (err, address) => {
        if (err) { console.log("lookup failed", err.code); process.exit(1); }
        console.log("lookup", address);
        dns.resolveSrv("_${service}._tcp.service.consul", (err, srv) => {
          if (err) { console.log("srv failed", err.code); process.exit(1); }
          console.log("srv", srv.map((s) => s.name + ":" + s.port).join(","));
          dns.lookup(srv[0].name, { family: 4 }, (err, target) => {
            http.get({ host: target, port: srv[0].port, path: "/" }, (res) => {
              let body = "";
              res.on("data", (d) => (body += d));
              res.on("end", () => console.log("http", body.trim()));
            }).on("error", (e) => { console.log("http failed", e.message); process.exit(1); });
          });
        });
      });`;
    const out = await runNode(`${service}-app`, shimIp, program);
    const hex = webIp.split(".").map((b) => Number(b).toString(16).padStart(2, "0")).join("");
    expect(out).toContain(`lookup ${webIp}`);
    expect(out).toContain(`srv ${hex}.addr.dc1.consul:80`);
    expect(out).toContain("http hello-from-web");
  });
});
