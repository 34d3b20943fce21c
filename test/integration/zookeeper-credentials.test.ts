// portolan's ZooKeeper nodes under an ACL (PORTOLAN_ZK_AUTH): on the real test bed's standalone server, a client
// without the credential can neither delete nor rewrite them nor add to their directories; Curator's own
// ServiceDiscovery still reads them; a wrong credential is exit 78 at start-up, a malformed one exit 64, both
// before any node is written and without the password in the output.
import { Permission } from "node-zookeeper-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/registry.js";
import { permsOf } from "../../adapters/zookeeper/acl.js";
import type { Client } from "../../adapters/zookeeper/ops.js";
import { CreateMode, Exception, create, exists, getACL, getChildren, remove, setData, zkCode } from "../../adapters/zookeeper/ops.js";
import { EXIT_CONFIG, EXIT_USAGE } from "../../src/core/exit-codes.js";
import { runCli } from "./cli.js";
import { TESTBED } from "./testbed.js";
import { capturingLogger, curatorReader, instance, rawClient, removeTree, uniqueBase } from "./zookeeper-support.js";

const ZK = TESTBED.zkStandalone;
const PASSWORD = "Zk-Cred-Unmistakable-41f2";
const AUTH = { user: "portolan-it", password: PASSWORD };

/** Removes `base` and everything under it with the credential that created it. */
async function removeAsOwner(base: string): Promise<void> {
  const c = await rawClient(ZK);
  c.addAuthInfo("digest", Buffer.from(`${AUTH.user}:${AUTH.password}`));
  await removeTree(c, base);
  c.close();
}

/** The ZooKeeper error code an operation fails with (undefined if it succeeds). */
async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    const code = zkCode(e);
    return code === Exception.NO_AUTH ? "NO_AUTH" : String(code ?? e);
  }
}

describe.each(["curator", "nerve"] as const)("nodes written with PORTOLAN_ZK_AUTH (%s)", (format) => {
  const base = uniqueBase(`cred-${format}`);
  let reg: ZooKeeperRegistry;
  let stranger: Client;
  const a = instance("web", "web-1", 80);

  beforeAll(async () => {
    reg = new ZooKeeperRegistry({ connect: ZK, format, chroot: `${base}/services`, auth: AUTH, sessionTimeoutMs: 10_000, logger: capturingLogger().logger });
    await reg.checkAccess("write");
    await reg.register(a);
    stranger = await rawClient(ZK);
  });
  afterAll(async () => {
    await reg.close();
    stranger.close();
    await removeAsOwner(base);
  });

  it("0_every node, parents included, carries the ACL: all for this identity, read for world", async () => {
    const dir = format === "curator" ? `${base}/services/web` : `${base}/services/web/services`;
    const [entry] = await getChildren(stranger, dir);
    for (const path of [base, `${base}/services`, `${base}/services/web`, dir, `${dir}/${entry}`]) {
      const acl = await getACL(stranger, path);
      expect(acl.map((x) => [permsOf(x), x.id.scheme, x.id.id.split(":")[0]]), path).toEqual([
        [Permission.ALL, "digest", "portolan-it"],
        [Permission.READ, "world", "anyone"],
      ]);
    }
  });

  it("1_a client without the credential cannot delete, rewrite or add; it still reads", async () => {
    const dir = format === "curator" ? `${base}/services/web` : `${base}/services/web/services`;
    const [entry] = await getChildren(stranger, dir);
    const path = `${dir}/${entry}`;
    expect(await codeOf(remove(stranger, path))).toBe("NO_AUTH");
    expect(await codeOf(setData(stranger, path, Buffer.from("{}"), -1))).toBe("NO_AUTH");
    expect(await codeOf(create(stranger, `${dir}/intruder`, Buffer.from("{}"), CreateMode.EPHEMERAL))).toBe("NO_AUTH");
    expect(await codeOf(create(stranger, `${base}/services/other`, Buffer.alloc(0), CreateMode.PERSISTENT))).toBe("NO_AUTH");
    expect(await codeOf(setData(stranger, `${base}/services`, Buffer.from("x"), -1))).toBe("NO_AUTH");
    expect(await exists(stranger, path)).not.toBeNull();
    expect(await getChildren(stranger, dir)).toEqual([entry]);
  });

  it("2_the registry still deregisters and re-registers its own entries", async () => {
    await reg.deregister(a);
    const dir = format === "curator" ? `${base}/services/web` : `${base}/services/web/services`;
    expect(await getChildren(stranger, dir)).toEqual([]);
    await reg.register(a);
    expect(await getChildren(stranger, dir)).toHaveLength(1);
  });
});

describe("Curator's ServiceDiscovery reads nodes under the ACL", () => {
  const base = uniqueBase("cred-curator-reader");
  afterAll(async () => {
    await removeAsOwner(base);
  });

  it("0_queryForInstances returns the entry (Java, no credentials)", async () => {
    const reg = new ZooKeeperRegistry({ connect: ZK, format: "curator", chroot: base, auth: AUTH, sessionTimeoutMs: 10_000 });
    try {
      const a = instance("web", "web-1", 80);
      await reg.register(a);
      const out = curatorReader()("query", ZK, base, "web").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(out.map((o) => [o.id, o.address, o.port])).toEqual([[a.id, a.address, a.port]]);
    } finally {
      await reg.close();
    }
  });
});

describe("PORTOLAN_ZK_AUTH at start-up", () => {
  const base = uniqueBase("cred-cli");
  const uri = `zk://${ZK}${base}`;
  afterAll(async () => {
    await removeAsOwner(base);
  });

  it("0_a wrong password (another identity to ZooKeeper) is exit 78, naming the variable and who may write, never the password", async () => {
    const reg = new ZooKeeperRegistry({ connect: ZK, format: "curator", chroot: base, auth: AUTH });
    await reg.checkAccess("write");
    await reg.close();
    const wrong = "Wrong-Password-Unmistakable-77";
    const r = runCli(["registrator", "--hostname", "credtest", uri], { PORTOLAN_ZK_AUTH: `portolan-it:${wrong}` }, 30_000);
    expect(r.code).toBe(EXIT_CONFIG);
    expect(r.stderr).toContain("PORTOLAN_ZK_AUTH");
    expect(r.stderr).toContain(base);
    expect(r.stderr).toContain("write access: digest:portolan-it");
    expect(r.stderr + r.stdout).not.toContain(wrong);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("1_an empty or malformed credential is one refusal naming the variable, exit 64, and no node is written", async () => {
    const fresh = `${base}-never`;
    for (const value of ["", "no-colon-here", `portolan-it:`]) {
      const r = runCli(["registrator", "--hostname", "credtest", `zk://${ZK}${fresh}`], { PORTOLAN_ZK_AUTH: value }, 30_000);
      expect(r.code, value).toBe(EXIT_USAGE);
      expect(r.stderr.trim().split("\n").filter((l) => l.includes("PORTOLAN_ZK_AUTH"))).toHaveLength(1);
      if (value.length >= 4) expect(r.stderr).not.toContain(value);
    }
    const c = await rawClient(ZK);
    expect(await exists(c, fresh)).toBeNull();
    c.close();
  });
});
