// payload=spring read by Spring Cloud Zookeeper itself: the test bed's client jar (scripts/testbed/spring-zk.sh) runs
// Spring's ZookeeperDiscoveryClient.getInstances against entries the adapter wrote on the standalone ZooKeeper.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { META_EPHEMERAL_OWNER, parseZooKeeperUri, ZooKeeperRegistry } from "../../adapters/zookeeper/index.js";
import type { Client } from "../../adapters/zookeeper/ops.js";
import { TESTBED } from "./testbed.js";
import { instance, rawClient, removeTree, uniqueBase } from "./zookeeper-support.js";

/** The spring-cloud-zookeeper version spring-zk.sh pins (its jar is cached under this name). */
const SPRING_ZK_VERSION = "5.0.2";
const CACHE = process.env["PORTOLAN_CACHE"] ?? join(homedir(), ".cache", "portolan");
const SPRING_ZK_JAR = join(CACHE, `spring-zk-client-${SPRING_ZK_VERSION}.jar`);

interface SpringInstance {
  serviceId: string;
  instanceId: string;
  host: string;
  port: number;
  secure: boolean;
  scheme: string | null;
  uri: string | null;
  metadata: Record<string, string>;
}

/** What Spring's ServiceInstance says of each instance of `name` under `root`. */
async function springInstances(root: string, name: string): Promise<SpringInstance[]> {
  const { stdout } = await promisify(execFile)(
    "java",
    ["-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", SPRING_ZK_JAR, TESTBED.zkStandalone, root, name],
    { encoding: "utf8", timeout: 150_000 },
  ).catch((e: { message: string; stdout?: string; stderr?: string }) => {
    throw new Error(`${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  });
  return stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as SpringInstance);
}

const base = uniqueBase("spring");
let raw: Client;
let registry: ZooKeeperRegistry;

beforeAll(async () => {
  if (!existsSync(SPRING_ZK_JAR)) throw new Error(`${SPRING_ZK_JAR} is missing: run scripts/testbed.sh up (spring-zk.sh builds it)`);
  raw = await rawClient(TESTBED.zkStandalone);
  registry = new ZooKeeperRegistry({ ...parseZooKeeperUri(`zk://${TESTBED.zkStandalone}${base}?payload=spring`), sessionTimeoutMs: 10_000 });
});

afterAll(async () => {
  await registry?.close();
  if (raw) await removeTree(raw, base);
  raw?.close();
});

describe("Spring Cloud Zookeeper's ZookeeperDiscoveryClient", () => {
  it("0_getUri() is http://ADDRESS:PORT and getMetadata() holds meta, tags as keys and portolan's keys; listOwned reads them back", async () => {
    const a = instance("web", "web-1", 80, { address: "10.0.0.5", port: 32768, tags: ["env=prod", "canary", "zone=b"], meta: { zone: "a", version: "3" } });
    const b = instance("web", "web-2", 81, { address: "fd00::7", port: 32769, tags: [], meta: {} });
    await registry.register(a);
    await registry.register(b);
    const got = (await springInstances(base, "web")).sort((x, y) => x.instanceId.localeCompare(y.instanceId));
    expect(got.map((i) => [i.instanceId, i.host, i.port, i.secure, i.uri])).toEqual([
      [a.id, "10.0.0.5", 32768, false, "http://10.0.0.5:32768"],
      [b.id, "fd00::7", 32769, false, "http://[fd00::7]:32769"],
    ]);
    expect(got[0]!.metadata).toEqual({
      zone: "a",
      version: "3",
      env: "prod",
      canary: "canary",
      "portolan.owner": "host1",
      "portolan.protocol": "tcp",
      "portolan.tags": '["env=prod","canary","zone=b"]',
      "portolan.tagkeys": '["env","canary"]',
    });
    const later = new ZooKeeperRegistry({ ...parseZooKeeperUri(`zk://${TESTBED.zkStandalone}${base}?payload=spring`), sessionTimeoutMs: 10_000 });
    try {
      const owned = (await later.listOwned("host1")).sort((x, y) => x.id.localeCompare(y.id));
      // listOwned adds the node's session owner (META_EPHEMERAL_OWNER); the rest is exactly what was registered.
      const without = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== META_EPHEMERAL_OWNER));
      expect(owned.map((i) => [i.id, i.address, i.port, i.tags, without(i.meta)])).toEqual([a, b].map((i) => [i.id, i.address, i.port, i.tags, i.meta]));
    } finally {
      await later.close();
    }
  }, 180_000);
});
