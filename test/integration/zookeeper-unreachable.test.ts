// Every command against a ZooKeeper nobody listens for (a closed loopback port), or one that accepts connections
// and never answers (a hung server), as real processes: each one ends within its own timeout (catalog --timeout,
// render --wait-timeout) with exit 69, without stack traces, and `dns` binds at once and answers SERVFAIL (dig
// and Node's resolver) while the backend is unreachable.
import { Resolver } from "node:dns/promises";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startCli } from "./cli.js";
import { dig } from "./dns-support.js";
import { TESTBED } from "./testbed.js";
import { until } from "../support/until.js";

/** A loopback port that was free a moment ago: nothing listens there, so connecting is refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A "server" on a free loopback port that accepts connections and never answers (a hung ZooKeeper). */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const s: Server = createServer((c) => {
    sockets.add(c);
    c.on("close", () => sockets.delete(c));
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const close = async () => {
    for (const c of sockets) c.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return { port: (s.address() as { port: number }).port, close };
}

/** Runs the CLI to its end; returns the exit code, output and how long it ran. */
async function timed(args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  const p = startCli(args);
  const killer = setTimeout(() => p.proc.kill("SIGKILL"), 40_000);
  const { code } = await p.exited;
  clearTimeout(killer);
  return { code, out: p.logs(), ms: Date.now() - t0 };
}

/** Node's start-up and the bundle's load on a busy 2-core machine: what a bound may take beyond its timeout. */
const SLACK_MS = 2_000;
const STACK = /\n\s+at |"stack"/;

describe.each(["closed port", "hung server"] as const)("commands against an unreachable ZooKeeper (%s)", (kind) => {
  const servers: { close: () => Promise<void> }[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });
  /** An address of this kind: nobody listening, or a listener that never answers. */
  const unreachable = async (): Promise<number> => {
    if (kind === "closed port") return closedPort();
    const s = await silentServer();
    servers.push(s);
    return s.port;
  };

  it("0_catalog --timeout 2s exits 69 within the timeout, saying why", async () => {
    const port = await unreachable();
    const r = await timed(["catalog", "--registry", `zk://127.0.0.1:${port}/services`, "--timeout", "2s"]);
    console.log(`[zookeeper ${kind}] catalog: exit ${r.code} after ${r.ms} ms`);
    expect(r.code).toBe(69);
    expect(r.ms).toBeLessThan(2_000 + SLACK_MS);
    // Refused: the servers are named; a hung server: the time is.
    expect(r.out).toMatch(kind === "closed port" ? `127.0.0.1:${port} reachable (connection refused)` : /within 2000 ms/);
    expect(r.out).not.toMatch(STACK);
  });

  it("1_catalog over three unreachable servers exits 69 within the timeout", async () => {
    const ports = [await unreachable(), await unreachable(), await unreachable()];
    const r = await timed(["catalog", "--registry", `zk://${ports.map((p) => `127.0.0.1:${p}`).join(",")}/services`, "--timeout", "3s"]);
    expect(r.code).toBe(69);
    expect(r.ms).toBeLessThan(3_000 + SLACK_MS);
  });

  it("2_render --wait-timeout 2s exits 69 within the timeout, no stack trace, nothing written", async () => {
    const port = await unreachable();
    const dir = mkdtempSync(join(tmpdir(), "portolan-zk-unreachable-"));
    writeFileSync(join(dir, "t.tmpl"), "x={{#services.web}}{{address}}{{/services.web}}\n");
    const r = await timed(["render", "--registry", `zk://127.0.0.1:${port}/services`, "--wait-timeout", "2s", "--template", `${join(dir, "t.tmpl")}:${join(dir, "out")}`]);
    console.log(`[zookeeper ${kind}] render: exit ${r.code} after ${r.ms} ms`);
    expect(r.code).toBe(69);
    expect(r.ms).toBeLessThan(2_000 + SLACK_MS);
    expect(r.out).toMatch(/no catalog within 2000ms/);
    expect(r.out).not.toMatch(STACK);
    expect(r.out).not.toContain("registry closed");
  });

  it("3_dns binds at once and answers SERVFAIL (dig, Node's resolver) while ZooKeeper is unreachable", async () => {
    const [port, dnsPort] = [await unreachable(), await closedPort()];
    const t0 = Date.now();
    const p = startCli(["dns", "--registry", `zk://127.0.0.1:${port}/services`, "--listen", `127.0.0.1:${dnsPort}`, "--log-format", "json"]);
    try {
      await until("the listening line", () => p.logs().includes(`dns listening on 127.0.0.1:${dnsPort}`), 15_000, 20);
      const bound = Date.now() - t0;
      const d = await dig(dnsPort, "web.service.consul", "A");
      const answered = Date.now() - t0;
      const resolver = new Resolver({ timeout: 1_000, tries: 1 });
      resolver.setServers([`127.0.0.1:${dnsPort}`]);
      const err = await resolver.resolve4("web.service.consul").then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      console.log(`[zookeeper ${kind}] dns: bound after ${bound} ms, SERVFAIL after ${answered} ms`);
      expect(d.status).toBe("SERVFAIL");
      expect(err?.code).toBe("ESERVFAIL");
      // A hung server's access check is given 2 s before the shim goes on without it.
      expect(bound).toBeLessThan(kind === "closed port" ? SLACK_MS : 2_000 + SLACK_MS);
      expect(answered - bound).toBeLessThan(1_000);
    } finally {
      p.proc.kill("SIGTERM");
    }
    expect((await p.exited).code).toBe(0);
    expect(p.logs()).not.toMatch(STACK);
  });
});

describe("a ZooKeeper member that accepts and never answers, next to one that serves", () => {
  it("0_catalog reads from the serving member whichever the client tries first (6 runs)", async () => {
    const hung = await silentServer();
    try {
      // The client shuffles the servers: over 6 runs the hung one comes first in some of them.
      const uri = `zk://127.0.0.1:${hung.port},${TESTBED.zkStandalone}/portolan-it-hung-${process.pid}`;
      for (let i = 0; i < 6; i++) {
        const r = await timed(["catalog", "--registry", uri, "--timeout", "5s", "--json"]);
        expect(r.code, r.out).toBe(0);
        expect(r.ms).toBeLessThan(2_000 + SLACK_MS);
      }
    } finally {
      await hung.close();
    }
  });
});
