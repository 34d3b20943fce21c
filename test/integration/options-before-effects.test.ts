// Every option is checked before any effect: a refused one exits 64 naming it, with nothing bound, started or
// contacted. Before, `up --listen 0.0.0.0:PORT` without a token bound the DNS shim (and logged `dns listening`)
// before refusing, `catalog serve` opened and probed the registry first, and a bad DOCKER_HOST was refused only
// after the registry, the DNS shim and the catalog had started; a --listen/--dns name that does not resolve was
// found out only after the registry had been opened (and waited for).
import { createSocket } from "node:dgram";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startCli } from "./cli.js";

let servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** A loopback port that accepts and never answers; `contacted()` says whether anything connected. */
async function silentBackend(): Promise<{ port: number; contacted: () => boolean }> {
  let contacted = false;
  const s = createServer((c) => {
    contacted = true;
    sockets.push(c);
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  servers.push(s);
  return { port: (s.address() as AddressInfo).port, contacted: () => contacted };
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  for (;;) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    if (await bindsUdpAndTcp(port)) return port;
  }
}

/** Binds UDP and TCP `port` on 127.0.0.1 (and lets go): true when both were free. */
async function bindsUdpAndTcp(port: number): Promise<boolean> {
  const udp = createSocket("udp4");
  const udpOk = await new Promise<boolean>((r) => {
    udp.once("error", () => r(false));
    udp.bind(port, "127.0.0.1", () => r(true));
  });
  if (udpOk) udp.close();
  const tcp = createServer();
  const tcpOk = await new Promise<boolean>((r) => {
    tcp.once("error", () => r(false));
    tcp.listen(port, "127.0.0.1", () => r(true));
  });
  if (tcpOk) await new Promise((r) => tcp.close(r));
  return udpOk && tcpOk;
}

const LONG_NAME = "a".repeat(300);

const cases: Array<{ case: string; args: (dns: number, backend: number) => string[]; env?: Record<string, string>; names: RegExp }> = [
  {
    case: "up --listen 0.0.0.0 without a token",
    args: (dns) => ["up", "--dns", `127.0.0.1:${dns}`, "--listen", "0.0.0.0:0", "--hostname", "opts"],
    names: /--listen 0\.0\.0\.0:0 is not a loopback address: --token is required/,
  },
  {
    case: "up --registry consul:// --listen [::] without a token",
    args: (dns, backend) => ["up", "--dns", `127.0.0.1:${dns}`, "--listen", "[::]:0", "--registry", `consul://127.0.0.1:${backend}`, "--hostname", "opts"],
    names: /--listen \[::\]:0 is not a loopback address: --token is required/,
  },
  {
    case: "up with a DOCKER_HOST that is not Docker's",
    args: (dns) => ["up", "--dns", `127.0.0.1:${dns}`, "--listen", "127.0.0.1:0", "--hostname", "opts"],
    env: { DOCKER_HOST: "ssh://docker.example" },
    names: /DOCKER_HOST=ssh:\/\/docker.example: expected unix:\/\/\/path or tcp:\/\/HOST:PORT/,
  },
  {
    case: "registrator consul:// with a DOCKER_HOST that is not Docker's",
    args: (_dns, backend) => ["registrator", "--hostname", "opts", `consul://127.0.0.1:${backend}`],
    env: { DOCKER_HOST: "tcp://" },
    names: /DOCKER_HOST=tcp:\/\/: expected/,
  },
  // A host name that cannot resolve (300 characters: refused by the resolver itself, no query leaves the host).
  {
    case: "dns --listen NAME that does not resolve",
    args: (_dns, backend) => ["dns", "--listen", `${LONG_NAME}:8600`, "--registry", `consul://127.0.0.1:${backend}`],
    names: /--listen a{300}:8600: cannot listen \(E[A-Z]+\)/,
  },
  {
    case: "up --dns NAME that does not resolve",
    args: (_dns, backend) => ["up", "--dns", `${LONG_NAME}:8600`, "--listen", "127.0.0.1:0", "--registry", `consul://127.0.0.1:${backend}`, "--hostname", "opts"],
    names: /--dns a{300}:8600: cannot listen \(E[A-Z]+\)/,
  },
  {
    case: "catalog serve --listen 0.0.0.0 without a token",
    args: (_dns, backend) => ["catalog", "serve", "--listen", "0.0.0.0:0", "--registry", `consul://127.0.0.1:${backend}`],
    names: /--listen 0\.0\.0\.0:0 is not a loopback address: --token is required/,
  },
];

describe("a refused option has no effect", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: exit 64 naming it, nothing bound, started or contacted`, async () => {
      const dns = await freePort();
      const backend = await silentBackend();
      const p = startCli([...c.args(dns, backend.port), "--log-format", "json"], { PORTOLAN_CATALOG_TOKEN: "", ...c.env });
      const end = await Promise.race([p.exited, new Promise<undefined>((r) => setTimeout(r, 10_000))]);
      if (!end) p.proc.kill("SIGKILL");
      expect(end, `still running after 10 s: ${p.logs()}`).toBeDefined();
      expect(end!.code).toBe(64);
      expect(p.stderr()).toMatch(c.names);
      expect(p.logs()).not.toMatch(/listening|"starting"/);
      expect(backend.contacted(), "the registry was contacted").toBe(false);
      expect(await bindsUdpAndTcp(dns), "the DNS port is still free").toBe(true);
    });
  });
});
