// The fleet on this machine: N simulated hosts (a SimEngine each, and a real `bin/portolan registrator` reading
// it), the backend cluster (3 Consul servers + client agents, or a 3-member ZooKeeper ensemble), each host reaching
// its backend through its own TcpProxy (so it can be cut off), and two watching app hosts: `portolan up` (registrator,
// DNS and catalog; its engine runs nothing of the fleet's) and `portolan dns`, each behind a counting proxy.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CountingProxy } from "../counting-proxy.js";
import { consulReader, diff, zookeeperReader, type BackendReader, type Diff, type View } from "./backend-view.js";
import { ConsulCluster, consulBinary, type Agent } from "./consul-cluster.js";
import { SimEngine, type SimContainer, type SimHealth } from "./engine.js";
import { PortRange, type Proc, type ProcSet } from "./procs.js";
import { TcpProxy } from "./tcp-proxy.js";
import { ZkEnsemble } from "./zk-ensemble.js";

export type BackendName = "consul" | "zookeeper";

export interface FleetConfig {
  backend: BackendName;
  hosts: number;
  containers: number;
  services: number;
  /** Consul: hosts sharing one client agent. */
  hostsPerAgent: number;
  /** ZooKeeper: the registrators' session timeout (the zk:// URI's sessionTimeout). */
  zkSessionTimeoutMs: number;
  /** The `bin/portolan` to run. */
  cli: string;
  dir: string;
  procs: ProcSet;
  ports: PortRange;
  log: (line: string) => void;
}

export interface Host {
  i: number;
  name: string;
  ip: string;
  engine: SimEngine;
  proxies: TcpProxy[];
  uri: string;
  registrator?: Proc;
  agent?: Agent;
  seq: number;
}

export interface WatcherCounts {
  /** Every request (Consul: long-poll answers too; ZooKeeper: pings apart). */
  requests: number;
  /** Requests that are not long polls (Consul), every request but pings (ZooKeeper: watches are pushed). */
  reads: number;
  bytes: number;
  endpoints?: string;
}

export interface Watcher {
  name: string;
  proc: Proc;
  dnsPort: number;
  catalogPort?: number;
  /** Requests and bytes it sent to the backend since the last take(); Consul: the requests by endpoint. */
  take(): WatcherCounts;
}

/** Every 4th container has a Docker HEALTHCHECK (the churn flips its health). */
const HEALTHCHECKED = 4;
const hostIp = (i: number) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

export class Fleet {
  readonly hosts: Host[] = [];
  readonly watchers: Watcher[] = [];
  consul?: ConsulCluster;
  zk?: ZkEnsemble;
  reader!: BackendReader;
  private readonly closers: Array<() => Promise<void>> = [];
  private rng = 0x2545f491;

  constructor(readonly cfg: FleetConfig) {}

  get agents(): number {
    return this.consul?.clients.length ?? 0;
  }

  /** A deterministic pseudo-random integer below `n` (xorshift), so two runs churn alike. */
  random(n: number): number {
    this.rng ^= this.rng << 13;
    this.rng ^= this.rng >>> 17;
    this.rng ^= this.rng << 5;
    return (this.rng >>> 0) % n;
  }

  async startBackend(): Promise<void> {
    const c = this.cfg;
    if (c.backend === "consul") {
      const ports = { http: await c.ports.take(), serfLan: await c.ports.take(), serfWan: await c.ports.take(), server: await c.ports.take() };
      this.consul = new ConsulCluster(c.procs, consulBinary(), join(c.dir, "consul"), ports, Math.ceil(c.hosts / c.hostsPerAgent));
      c.log(`consul: 3 servers + ${this.consul.clients.length} client agents (${c.hostsPerAgent} host(s) per agent)`);
      await this.consul.start();
      const consul = this.consul;
      this.reader = consulReader(() => consul.servers.filter((s) => s.proc?.alive).map((s) => consul.url(s)));
    } else {
      const t = () => c.ports.take();
      this.zk = new ZkEnsemble(c.procs, join(c.dir, "zk"), { client: [await t(), await t(), await t()], quorum: [await t(), await t(), await t()], election: [await t(), await t(), await t()] });
      c.log("zookeeper: 3-member ensemble");
      await this.zk.start();
      this.reader = zookeeperReader(this.zk.connectString());
    }
    this.closers.push(() => this.reader.close());
  }

  /**
   * Proxies to the backend for one host (or watcher): one per Consul agent address, one per ZooKeeper member. Their
   * connections come from `from`, the host's own address: a Consul agent bounds concurrent connections per client
   * address (http_max_conns_per_client, 200), and the hosts sharing an agent are separate machines in a fleet.
   */
  private async proxiesFor(agent: Agent | undefined, countZooKeeper: boolean, from?: string): Promise<{ proxies: TcpProxy[]; uri: string }> {
    const targets = this.consul ? [{ host: agent!.ip, port: this.consul.ports.http }] : this.zk!.ports.client.map((port) => ({ host: "127.0.0.1", port }));
    const proxies: TcpProxy[] = [];
    for (const t of targets) {
      const p = new TcpProxy(t, { countZooKeeper, ...(from !== undefined && { from }) });
      await p.listen("127.0.0.1", await this.cfg.ports.take());
      this.closers.push(() => p.close());
      proxies.push(p);
    }
    const addrs = proxies.map((p) => `127.0.0.1:${p.port}`);
    const uri = this.consul ? `consul://${addrs[0]}` : `zk://${addrs.join(",")}?sessionTimeout=${this.cfg.zkSessionTimeoutMs}ms`;
    return { proxies, uri };
  }

  /** The hosts with their engines filled (M containers each); registrators are started by startRegistrators(). */
  async createHosts(): Promise<void> {
    const c = this.cfg;
    mkdirSync(join(c.dir, "engines"), { recursive: true });
    for (let i = 0; i < c.hosts; i++) {
      const engine = new SimEngine(`host-${i}`, join(c.dir, "engines", `host-${i}.sock`));
      await engine.listen();
      this.closers.push(() => engine.close());
      const agent = this.consul?.clients[Math.floor(i / c.hostsPerAgent)];
      const { proxies, uri } = await this.proxiesFor(agent, false, hostIp(i));
      const host: Host = { i, name: `host-${i}`, ip: hostIp(i), engine, proxies, uri, agent, seq: 0 };
      for (let k = 0; k < c.containers; k++) this.startContainer(host);
      this.hosts.push(host);
    }
  }

  startContainer(h: Host, service?: string): SimContainer {
    const k = h.seq++;
    const health: SimHealth | undefined = k % HEALTHCHECKED === 0 ? "healthy" : undefined;
    return h.engine.start(`c${k}`, service ?? `svc-${k % this.cfg.services}`, 40_000 + k, health);
  }

  registratorArgs(h: Host, cleanup: boolean): string[] {
    return ["registrator", "--hostname", h.name, "--ip", h.ip, "--log-format", "json", "--log-level", "warn", ...(cleanup ? ["--cleanup"] : []), h.uri];
  }

  startRegistrator(h: Host, cleanup = false): void {
    h.registrator = this.cfg.procs.start(`registrator-${h.name}`, this.cfg.cli, this.registratorArgs(h, cleanup), {
      env: { ...process.env, DOCKER_HOST: h.engine.dockerHost },
      logFile: join(this.cfg.dir, `registrator-${h.name}.log`),
    });
  }

  /** Two app hosts reading the backend: `up` (DNS + catalog + its own registrator of an empty engine) and `dns`. */
  async startWatchers(): Promise<void> {
    const c = this.cfg;
    const agent = this.consul?.clients[0];
    for (const kind of ["up", "dns"] as const) {
      const name = `app-${kind}`;
      let uri: string;
      let take: Watcher["take"];
      if (this.consul) {
        const counting = new CountingProxy({ host: agent!.ip, port: this.consul.ports.http });
        uri = `consul://${await counting.start(await c.ports.take())}`;
        this.closers.push(() => counting.stop());
        take = () => {
          const t = counting.take();
          const endpoints = Object.entries(t.byEndpoint).map(([k, v]) => `${v.requests} ${k.replace(/^GET /, "")}`).join(", ");
          return { requests: t.total.requests, reads: t.reads.requests, bytes: t.total.bytes, endpoints: `${endpoints} (${t.polls.requests} long-poll answers)` };
        };
      } else {
        const { proxies, uri: u } = await this.proxiesFor(undefined, true);
        uri = u;
        take = () => proxies.map((p) => p.take()).reduce((s, t) => ({ requests: s.requests + t.requests, reads: s.reads + t.requests, bytes: s.bytes + t.bytesIn + t.bytesOut }), { requests: 0, reads: 0, bytes: 0 });
      }
      const dnsPort = await c.ports.take();
      const env = { ...process.env };
      let args: string[];
      let catalogPort: number | undefined;
      if (kind === "up") {
        const engine = new SimEngine(name, join(c.dir, "engines", `${name}.sock`));
        await engine.listen();
        this.closers.push(() => engine.close());
        env.DOCKER_HOST = engine.dockerHost;
        catalogPort = await c.ports.take();
        args = ["up", "--registry", uri, "--hostname", name, "--listen", `127.0.0.1:${catalogPort}`, "--dns", `127.0.0.1:${dnsPort}`];
      } else {
        args = ["dns", "--registry", uri, "--listen", `127.0.0.1:${dnsPort}`];
      }
      const proc = c.procs.start(name, c.cli, [...args, "--log-format", "json", "--log-level", "warn"], { env, logFile: join(c.dir, `${name}.log`) });
      this.watchers.push({ name, proc, dnsPort, catalogPort, take });
    }
  }

  /** What the backend should hold now: every running container (ZooKeeper: every passing one) with its health. */
  expected(): View {
    const v: View = new Map();
    for (const h of this.hosts) {
      for (const c of h.engine.running()) {
        const health = c.health === "unhealthy" ? "critical" : "passing";
        if (this.zk && health !== "passing") continue;
        v.set(`${h.name}:${c.name}:8080`, health);
      }
    }
    return v;
  }

  async compare(): Promise<Diff & { size: number }> {
    const actual = await this.reader.read();
    return { ...diff(this.expected(), actual), size: actual.size };
  }

  backendCpuSeconds(): number {
    return this.consul?.cpuSeconds() ?? this.zk?.cpuSeconds() ?? 0;
  }

  /** Stops the processes, then the proxies, engines and reader. */
  async close(): Promise<void> {
    await this.cfg.procs.stopAll(10_000);
    for (const close of this.closers.reverse()) await close().catch(() => {});
  }
}

