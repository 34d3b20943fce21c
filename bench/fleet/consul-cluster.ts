// Consul as production runs it, on loopback: 3 servers (raft, bootstrap-expect 3) and client agents, each on its
// own 127.0.0.x address with the same ports (so every agent looks like a host), data dirs kept across restarts.
// The binary is the test bed's (scripts/testbed/consul.sh builds it once into ~/.cache/portolan).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Members, waitFor, type Proc, type ProcSet } from "./procs.js";

export interface ConsulPorts {
  http: number;
  serfLan: number;
  serfWan: number;
  server: number;
}

export interface Agent {
  name: string;
  ip: string;
  server: boolean;
  dir: string;
  proc?: Proc;
}

/** The test bed's Consul binary; throws (naming where it looked and how to build it) when there is none. */
export function consulBinary(): string {
  const dir = process.env.PORTOLAN_CACHE ?? join(homedir(), ".cache", "portolan");
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => /^consul-v[\d.]+$/.test(f)).sort() : [];
  if (found.length === 0) throw new Error(`no Consul binary (consul-v*) in ${dir}: build it with \`bash scripts/testbed.sh up\``);
  return join(dir, found.includes("consul-v1.21.0") ? "consul-v1.21.0" : found[found.length - 1]!);
}

export const SERVER_IPS = ["127.0.0.21", "127.0.0.22", "127.0.0.23"];
export const agentIp = (i: number) => `127.0.0.${31 + i}`;

export class ConsulCluster {
  private readonly procsOf = new Members<Agent>((a) => this.launch(a));
  readonly servers: Agent[];
  readonly clients: Agent[];

  constructor(
    private readonly procs: ProcSet,
    private readonly bin: string,
    private readonly root: string,
    readonly ports: ConsulPorts,
    clientCount: number,
  ) {
    this.servers = SERVER_IPS.map((ip, i) => ({ name: `fleet-server-${i + 1}`, ip, server: true, dir: join(root, `server-${i + 1}`) }));
    this.clients = Array.from({ length: clientCount }, (_, i) => ({ name: `fleet-agent-${i}`, ip: agentIp(i), server: false, dir: join(root, `agent-${i}`) }));
  }

  async start(): Promise<void> {
    await this.procsOf.start([...this.servers, ...this.clients], (a) => this.hasLeader(a), 90_000, `Consul cluster: no leader seen by every agent within 90 s (logs in ${this.root})`);
  }

  launch(a: Agent): void {
    mkdirSync(join(a.dir, "data"), { recursive: true });
    // Raft timing stays at its default (raft_multiplier 5): with 1, as HashiCorp advises for dedicated servers, the
    // leader lost its followers' heartbeats on this shared 2-core machine under a 10,000-instance cold start.
    writeFileSync(join(a.dir, "config.json"), JSON.stringify({ disable_update_check: true, enable_local_script_checks: false }));
    const p = this.ports;
    const join_ = SERVER_IPS.flatMap((ip) => ["-retry-join", `${ip}:${p.serfLan}`]);
    const args = [
      "agent", "-node", a.name, "-bind", a.ip, "-client", a.ip, "-data-dir", join(a.dir, "data"), "-config-file", join(a.dir, "config.json"),
      "-http-port", `${p.http}`, "-dns-port", "-1", "-grpc-port", "-1", "-grpc-tls-port", "-1",
      "-serf-lan-port", `${p.serfLan}`, "-serf-wan-port", `${p.serfWan}`, "-server-port", `${p.server}`, "-log-level", "warn", ...join_,
    ];
    if (a.server) args.push("-server", "-bootstrap-expect", "3");
    a.proc = this.procs.start(a.name, this.bin, args, { logFile: join(a.dir, "agent.log") });
  }

  url(a: Agent): string {
    return `http://${a.ip}:${this.ports.http}`;
  }

  /** The leader's "IP:PORT" as agent `a` sees it; "" when it sees none or does not answer. */
  async leaderOf(a: Agent): Promise<string> {
    const r = await fetch(`${this.url(a)}/v1/status/leader`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    return r?.ok ? (((await r.json().catch(() => "")) as string) ?? "") : "";
  }

  async hasLeader(a: Agent): Promise<boolean> {
    return (await this.leaderOf(a)) !== "";
  }

  /** The server that leads now. */
  async leader(): Promise<Agent> {
    for (const s of this.servers) {
      const addr = await this.leaderOf(s);
      const l = this.servers.find((x) => addr.startsWith(`${x.ip}:`));
      if (l) return l;
    }
    throw new Error("Consul cluster: no leader");
  }

  /** SIGKILL the leader; a new one is elected by the other two; the old one restarts after `downMs` and rejoins. */
  async killLeader(downMs: number): Promise<{ killed: string; electedMs: number | undefined }> {
    const l = await this.leader();
    const others = this.servers.filter((s) => s !== l);
    const electedMs = await this.procsOf.killAndRelaunch(l, {
      downMs,
      elected: async () => (await Promise.all(others.map((s) => this.leaderOf(s)))).every((addr) => addr !== "" && !addr.startsWith(`${l.ip}:`)),
      rejoined: () => this.hasLeader(l),
    });
    return { killed: l.name, electedMs };
  }

  /** Restart one client agent (SIGTERM, as a package upgrade does; it leaves and rejoins with its data dir). */
  async restartAgent(a: Agent): Promise<void> {
    await a.proc?.stop("SIGTERM", 10_000);
    this.launch(a);
    const ok = await waitFor(() => this.hasLeader(a), 60_000, 250);
    if (ok === undefined) throw new Error(`Consul agent ${a.name} did not rejoin within 60 s`);
  }

  /** CPU seconds of the servers since they started (a killed one's included). */
  cpuSeconds(): number {
    return this.procsOf.cpuSeconds(this.servers);
  }
}
