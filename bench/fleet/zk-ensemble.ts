// A 3-member ZooKeeper ensemble on 127.0.0.1, configured and launched as scripts/testbed/zk.sh does (Debian's
// zookeeper.jar, tickTime 500 ms, sessions of 1-60 s, the same JVM flags), with the fleet's own ports and data dirs.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { Members, type Proc, type ProcSet } from "./procs.js";

export interface ZkPorts {
  /** Client ports of members 1..3. */
  client: [number, number, number];
  quorum: [number, number, number];
  election: [number, number, number];
}

export const ZK_JAR = "/usr/share/java/zookeeper.jar";

export interface Member {
  n: number;
  dir: string;
  proc?: Proc;
}

export class ZkEnsemble {
  readonly members: Member[];
  private readonly procsOf = new Members<Member>((m) => this.launch(m));

  constructor(
    private readonly procs: ProcSet,
    private readonly root: string,
    readonly ports: ZkPorts,
  ) {
    if (!existsSync(ZK_JAR)) throw new Error(`ZooKeeper is not installed (${ZK_JAR} missing): install Debian's zookeeper package (bash scripts/testbed.sh up)`);
    this.members = [1, 2, 3].map((n) => ({ n, dir: join(root, `zk-${n}`) }));
  }

  async start(): Promise<void> {
    const serving = async (m: Member) => ["leader", "follower"].includes(await this.mode(m));
    await this.procsOf.start(this.members, serving, 120_000, `ZooKeeper ensemble did not form within 120 s (logs in ${this.root})`);
  }

  launch(m: Member): void {
    mkdirSync(join(m.dir, "data"), { recursive: true });
    writeFileSync(join(m.dir, "data", "myid"), `${m.n}\n`);
    const p = this.ports;
    const cfg = [
      "tickTime=500", "initLimit=20", "syncLimit=10", `dataDir=${join(m.dir, "data")}`, `clientPort=${p.client[m.n - 1]}`,
      "clientPortAddress=127.0.0.1", "minSessionTimeout=1000", "maxSessionTimeout=60000", "maxClientCnxns=0",
      "admin.enableServer=false", "4lw.commands.whitelist=*", "autopurge.purgeInterval=0",
      ...[1, 2, 3].map((k) => `server.${k}=127.0.0.1:${p.quorum[k - 1]}:${p.election[k - 1]}`),
      "standaloneEnabled=false", "reconfigEnabled=false", "quorumListenOnAllIPs=false",
    ];
    writeFileSync(join(m.dir, "zoo.cfg"), `${cfg.join("\n")}\n`);
    const cp = existsSync("/usr/share/java/slf4j-simple.jar") ? `${ZK_JAR}:/usr/share/java/slf4j-simple.jar` : ZK_JAR;
    m.proc = this.procs.start(`zk-${m.n}`, "java", [
      "-Xms32m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
      "-Dzookeeper.admin.enableServer=false", "-Dzookeeper.4lw.commands.whitelist=*", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
      "-cp", cp, "org.apache.zookeeper.server.quorum.QuorumPeerMain", join(m.dir, "zoo.cfg"),
    ], { logFile: join(m.dir, "server.log") });
  }

  /** The member's mode from the `srvr` four-letter word: leader, follower, or "" when it does not serve. */
  mode(m: Member): Promise<string> {
    return new Promise((resolve) => {
      let out = "";
      const s = connect(this.ports.client[m.n - 1]!, "127.0.0.1", () => s.end("srvr"));
      s.setTimeout(2000, () => s.destroy());
      s.on("data", (d) => (out += d.toString()));
      s.on("error", () => resolve(""));
      s.on("close", () => resolve(/^Mode: (\w+)/m.exec(out)?.[1] ?? ""));
    });
  }

  async leader(): Promise<Member> {
    for (const m of this.members) if ((await this.mode(m)) === "leader") return m;
    throw new Error("ZooKeeper ensemble: no leader");
  }

  /** SIGKILL the leader; the other two elect one; the old one restarts after `downMs` and rejoins as a follower. */
  async killLeader(downMs: number): Promise<{ killed: string; electedMs: number | undefined }> {
    const l = await this.leader();
    const others = this.members.filter((m) => m !== l);
    const electedMs = await this.procsOf.killAndRelaunch(l, {
      downMs,
      elected: async () => (await Promise.all(others.map((m) => this.mode(m)))).includes("leader"),
      rejoined: async () => (await this.mode(l)) !== "",
    });
    return { killed: `zk-${l.n}`, electedMs };
  }

  connectString(): string {
    return this.ports.client.map((p) => `127.0.0.1:${p}`).join(",");
  }

  cpuSeconds(): number {
    return this.procsOf.cpuSeconds(this.members);
  }
}
