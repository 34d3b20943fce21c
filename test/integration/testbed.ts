// Fixed addresses of the real test bed started by scripts/testbed.sh (see DESIGN.md "Test bed").
// Everything binds to loopback.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";

export const TESTBED = {
  dockerSocket: "/var/run/docker.sock",
  busyboxImage: "portolan-test/busybox:latest",
  nodeImage: "portolan-test/node:latest",
  consul: { host: "127.0.0.1", port: 18500 },
  /** Dev agent with ACLs enforced (default deny); tokens from consulAclTokens(). */
  consulAcl: { host: "127.0.0.1", port: 18510 },
  /** Dev agent serving only HTTPS, client certificates required; files from consulTlsFiles(). */
  consulTls: { host: "127.0.0.1", port: 18520 },
  zkStandalone: "127.0.0.1:21810",
  zkEnsemble: ["127.0.0.1:21811", "127.0.0.1:21812", "127.0.0.1:21813"],
  /** Spring Cloud Netflix Eureka servers (scripts/testbed/eureka.sh): a single one, a peer pair, one requiring basic auth. */
  eureka: { single: "127.0.0.1:18761", pair: ["127.0.0.1:18762", "127.0.0.1:18763"], auth: "127.0.0.1:18764" },
  /** etcd (scripts/testbed/etcd.sh): a single node, a 3-member cluster, and one with HTTPS, client certificates and auth. */
  etcd: "127.0.0.1:23790",
  etcdCluster: ["127.0.0.1:23711", "127.0.0.1:23712", "127.0.0.1:23713"],
  etcdSecure: "127.0.0.1:23795",
  /** CoreDNS reading the single etcd node through its etcd plugin: zone service.consul, path /skydns. */
  coreDnsPort: 23853,
  script: new URL("../../scripts/testbed.sh", import.meta.url).pathname,
  /** Where the script keeps pid files, logs and ZooKeeper data. */
  stateDir: process.env["PORTOLAN_TESTBED_DIR"] ?? "/var/tmp/portolan-testbed",
} as const;

/** ZooKeeper tick of every test-bed server: sessions can be as short as 2 ticks, at most 20. */
export const ZK_TICK_MS = 500;

/** Ensemble member number (1..3), as the script and `zkLeader()` count them. */
export type ZkMember = 1 | 2 | 3;

/** Address ("127.0.0.1:2181N") of ensemble member n. */
export function zkMemberAddress(n: ZkMember): string {
  return TESTBED.zkEnsemble[n - 1] ?? `127.0.0.1:${21810 + n}`;
}

/** Runs `scripts/testbed.sh <args>` synchronously; throws (with its stderr) if it fails. */
export function testbed(...args: string[]): string {
  return execFileSync("bash", [TESTBED.script, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 180_000,
  }).trim();
}

/** Kills the Consul dev agent and starts a fresh one (all state lost); returns when it is leader. */
export function consulRestart(): void {
  testbed("consul-restart");
}

/** Stops the Consul dev agent; its HTTP port is closed when this returns. */
export function consulStop(): void {
  testbed("consul-stop");
}

/** Starts the Consul dev agent (empty state); returns when it is leader. */
export function consulStart(): void {
  testbed("consul-start");
}

/** Stops ensemble member n; its client port is closed when this returns. */
export function zkStop(n: ZkMember): void {
  testbed("zk-stop", String(n));
}

/** Starts ensemble member n; returns when it serves (or only listens, if no quorum is possible). */
export function zkStart(n: ZkMember): void {
  testbed("zk-start", String(n));
}

/** The ensemble member that is leader now (throws when there is none, e.g. without quorum). */
export function zkLeader(): ZkMember {
  const out = testbed("zk-leader");
  if (out !== "1" && out !== "2" && out !== "3") {
    throw new Error(`testbed.sh zk-leader printed ${JSON.stringify(out)}`);
  }
  return Number(out) as ZkMember;
}

/** Stops dockerd and starts it again; returns when `docker info` answers. Containers without a
 * restart policy are stopped by this (no live-restore), as with a real daemon restart. */
export function dockerRestart(): void {
  testbed("docker-restart");
}

/**
 * Tokens of the ACL agent, written by scripts/testbed/consul-secure.sh: `management` (global-management, for
 * test set-up and revocation), `registrator` (policy `policy`: service_prefix "" write, node/agent_prefix "" read).
 */
export function consulAclTokens(): { management: string; registrator: string; policy: string } {
  const dir = join(TESTBED.stateDir, "consul-acl");
  const read = (f: string) => readFileSync(join(dir, f), "utf8").trim();
  return { management: read("management.token"), registrator: read("registrator.token"), policy: "portolan-registrator" };
}

/** PEM file paths of the TLS agent: its CA, and a client certificate and key it accepts. */
export function consulTlsFiles(): { ca: string; cert: string; key: string } {
  const dir = join(TESTBED.stateDir, "consul-tls");
  const files = { ca: join(dir, "consul-agent-ca.pem"), cert: join(dir, "dc1-client-consul-0.pem"), key: join(dir, "dc1-client-consul-0-key.pem") };
  for (const f of Object.values(files)) if (!existsSync(f)) throw new Error(`${f} missing: run scripts/testbed.sh up`);
  return files;
}

/** etcd cluster member number (1..3), as the script and `etcdLeader()` count them; "s" the single node. */
export type EtcdMember = 1 | 2 | 3 | "s";

/** Stops an etcd member (`signal`, default SIGTERM, then KILL); its client port is closed when this returns. */
export function etcdStop(m: EtcdMember, signal: "TERM" | "KILL" = "TERM"): void {
  testbed("etcd-stop", String(m), signal);
}

/** Starts an etcd member (keeping its data); returns when it serves (or only listens, without quorum). */
export function etcdStart(m: EtcdMember): void {
  testbed("etcd-start", String(m));
}

/** The cluster member that is leader now. */
export function etcdLeader(): 1 | 2 | 3 {
  const out = testbed("etcd-leader");
  if (out !== "1" && out !== "2" && out !== "3") throw new Error(`testbed.sh etcd-leader printed ${JSON.stringify(out)}`);
  return Number(out) as 1 | 2 | 3;
}

/**
 * The secured etcd's files, written by scripts/testbed/etcd.sh: its CA, a client certificate without a CN it
 * accepts, one with a CN (the gateway refuses it), one of another CA; and the passwords of its users `portolan`
 * (readwrite on /skydns/), `reader` (read on /skydns/) and `root`.
 */
export function etcdSecureFiles(): { ca: string; cert: string; key: string; cnCert: string; cnKey: string; otherCert: string; otherKey: string; passwords: { portolan: string; reader: string; root: string } } {
  const dir = join(TESTBED.stateDir, "etcd");
  const c = (f: string) => {
    const path = join(dir, "certs", f);
    if (!existsSync(path)) throw new Error(`${path} missing: run scripts/testbed.sh up`);
    return path;
  };
  const pw = (u: string) => readFileSync(join(dir, "sec", `${u}.password`), "utf8").trim();
  return {
    ca: c("ca.pem"),
    cert: c("client.pem"),
    key: c("client-key.pem"),
    cnCert: c("cn-client.pem"),
    cnKey: c("cn-client-key.pem"),
    otherCert: c("other-client.pem"),
    otherKey: c("other-client-key.pem"),
    passwords: { portolan: pw("portolan"), reader: pw("reader"), root: pw("root") },
  };
}

const PROBE_TIMEOUT_MS = 5_000;

export interface HttpCallOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One HTTP request on a fresh connection (no keep-alive pool, so it survives server restarts). */
export function httpCall(opts: HttpCallOptions): Promise<{ status: number; body: string }> {
  const { body, ...target } = opts;
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method: opts.method ?? "GET", agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${PROBE_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends a ZooKeeper four-letter word ("srvr", "stat", "mntr", "ruok") and returns the whole reply. */
export function zkFourLetter(address: string, word: string): Promise<string> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const sock = connect({ host: host ?? "127.0.0.1", port: Number(port) });
    let reply = "";
    sock.setTimeout(PROBE_TIMEOUT_MS, () => sock.destroy(new Error(`timeout after ${PROBE_TIMEOUT_MS} ms`)));
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(word));
    sock.on("data", (chunk: string) => (reply += chunk));
    sock.on("end", () => resolve(reply));
    sock.on("error", reject);
  });
}

/** "leader" | "follower" | "standalone" from a `srvr` reply; undefined when the server does not serve. */
export function zkMode(srvrReply: string): string | undefined {
  return /^Mode: (\S+)$/m.exec(srvrReply)?.[1];
}
