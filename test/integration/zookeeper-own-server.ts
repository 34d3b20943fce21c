// A ZooKeeper server of a test's own (standalone, on a free loopback port, with its own data directory), run the
// way scripts/testbed/zk.sh runs the shared ones, so a test may kill it, wipe its data and start it again
// without touching the shared test bed.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zkFourLetter, zkMode } from "./testbed.js";
import { until } from "../support/until.js";

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export class OwnZooKeeper {
  readonly dir = mkdtempSync(join(tmpdir(), "portolan-own-zk-"));
  private proc: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  /** A server on a free port, not started yet (nothing listens there until start()). */
  static async create(): Promise<OwnZooKeeper> {
    return new OwnZooKeeper(await freePort());
  }

  static async start(): Promise<OwnZooKeeper> {
    const zk = await OwnZooKeeper.create();
    await zk.start();
    return zk;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get dataDir(): string {
    return join(this.dir, "data");
  }

  /** Starts the server and returns once it serves requests. */
  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    const cfg = join(this.dir, "zoo.cfg");
    writeFileSync(
      cfg,
      [
        "tickTime=500",
        `dataDir=${this.dataDir}`,
        `clientPort=${this.port}`,
        "clientPortAddress=127.0.0.1",
        "minSessionTimeout=1000",
        "maxSessionTimeout=60000",
        "maxClientCnxns=0",
        "admin.enableServer=false",
        "4lw.commands.whitelist=*",
        "",
      ].join("\n"),
    );
    const cp = ["/usr/share/java/zookeeper.jar", ...(existsSync("/usr/share/java/slf4j-simple.jar") ? ["/usr/share/java/slf4j-simple.jar"] : [])].join(":");
    const log = openSync(join(this.dir, "server.log"), "a");
    this.proc = spawn(
      "java",
      ["-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Dzookeeper.admin.enableServer=false", "-Dzookeeper.4lw.commands.whitelist=*", "-cp", cp, "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
      { stdio: ["ignore", log, log] },
    );
    await until(`own ZooKeeper on ${this.address} to serve (log ${this.dir}/server.log)`, async () => zkMode(await zkFourLetter(this.address, "srvr").catch(() => "")) !== undefined, 60_000, 100);
  }

  /** Kills the server (SIGKILL: no clean shutdown) and waits for its exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    p.kill("SIGKILL");
    await exited;
  }

  /** Deletes everything the server stored (snapshots, transaction logs): as if restored from nothing. */
  wipe(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
