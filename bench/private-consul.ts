// A private Consul dev agent for the benches that count what a process asks of Consul: on free loopback ports, so
// nothing else changes its catalog meanwhile. The binary is the test bed's (built once into ~/.cache/portolan).
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Instance } from "../src/core/model.js";

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The cache the test bed and the reference-tool build use ($PORTOLAN_CACHE, else ~/.cache/portolan). */
export function cacheDir(): string {
  return process.env.PORTOLAN_CACHE ?? join(homedir(), ".cache", "portolan");
}

export async function freePort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A private Consul dev agent on free loopback ports (`hcl`: more configuration); resolves when it has a leader. */
export async function privateAgent(bin: string, hcl?: string): Promise<{ host: string; port: number; stop: () => void }> {
  const [http, lan, wan, server] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const p = spawn(
    bin,
    ["agent", "-dev", "-node", `bench-${process.pid}`, "-client", "127.0.0.1", "-bind", "127.0.0.1", "-http-port", `${http}`, "-dns-port", "-1",
      "-grpc-port", "-1", "-grpc-tls-port", "-1", "-serf-lan-port", `${lan}`, "-serf-wan-port", `${wan}`, "-server-port", `${server}`, "-log-level", "error",
      ...(hcl ? ["-hcl", hcl] : [])],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 300; i++) {
    const leader = await fetch(`http://127.0.0.1:${http}/v1/status/leader`).then((r) => r.json(), () => "");
    if (leader) return { host: "127.0.0.1", port: http, stop: () => p.kill("SIGTERM") };
    await pause(100);
  }
  p.kill("SIGKILL");
  throw new Error(`${bin}: no leader within 30 s`);
}

/** The test bed's Consul binary (the newest consul-vX.Y.Z in the cache). */
export function testBedConsul(): string {
  const dir = cacheDir();
  const bin = readdirSync(dir).filter((f) => /^consul-v[\d.]+$/.test(f)).sort().pop();
  if (!bin) throw new Error(`no Consul binary in ${dir}: pass --consul HOST:PORT or --consul-bin PATH`);
  return join(dir, bin);
}

/** The options of the benches that fill a private agent with another host's catalog and count what a process asks. */
export const catalogOptions = {
  "consul-bin": { type: "string" },
  services: { type: "string", default: "20" },
  per: { type: "string", default: "5" },
  idle: { type: "string", default: "60" },
  // Another build's CLI, to compare (default: this one).
  cli: { type: "string", default: new URL("../src/cli/main.js", import.meta.url).pathname },
} as const;

/** Instance `k` of service `<prefix><s>`, owned by `owner` (another host): port 20000 + 100 s + k, so ports rise with IDs. */
export function foreignInstance(owner: string, prefix: string, s: number, k: number): Instance {
  return {
    id: `${owner}:${prefix}${s}-${k}:80`,
    name: `${prefix}${s}`,
    address: "127.0.0.1",
    port: 20_000 + s * 100 + k,
    protocol: "tcp",
    tags: [`team${s % 3}`],
    meta: { version: "1" },
    checks: [],
    health: "passing",
    owner,
  };
}
