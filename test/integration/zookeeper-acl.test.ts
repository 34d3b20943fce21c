// A base path whose ZooKeeper ACL another client set (digest auth, nothing for world:anyone): portolan connects
// without credentials, so this is a configuration error found at start-up (exit 78, one line naming the base),
// not an outage: it was retried for ever as BackendUnavailableError ("listOwned: NO_AUTH") and never said why.
import { createHash } from "node:crypto";
import { ACL, Id, Permission } from "node-zookeeper-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/registry.js";
import { BackendAuthError } from "../../src/core/errors.js";
import { EXIT_CONFIG } from "../../src/core/exit-codes.js";
import { runCli } from "./cli.js";
import { capturingLogger, instance, rawClient } from "./zookeeper-support.js";
import type { Client } from "../../adapters/zookeeper/ops.js";

const ZK = "127.0.0.1:21810";
const USER = "s2racl:secret";
const base = `/s2r-acl-${process.pid}-${Date.now()}`;
let owner: Client;

function call(fn: (cb: (e: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((e) => (e ? reject(e) : resolve())));
}

beforeAll(async () => {
  owner = await rawClient(ZK);
  owner.addAuthInfo("digest", Buffer.from(USER));
  const digest = createHash("sha1").update(USER).digest("base64");
  const acl = [new ACL(Permission.ALL, new Id("digest", `s2racl:${digest}`))];
  await call((cb) => owner.create(base, cb));
  await call((cb) => owner.setACL(base, acl, -1, cb));
});

afterAll(async () => {
  await call((cb) => owner.remove(base, -1, cb)).catch(() => {});
  owner.close();
});

describe("a ZooKeeper base path with an ACL this client cannot use", () => {
  const cases = [
    { case: "registrator", args: ["registrator", "--hostname", "s2racl", `zk://${ZK}${base}`] },
    { case: "registrator, nerve format", args: ["registrator", "--hostname", "s2racl", `zk://${ZK}${base}?format=nerve`] },
  ];
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: exit 78 at start-up with one line naming the base path`, () => {
      const r = runCli(c.args, {}, 20_000);
      expect(r.code).toBe(EXIT_CONFIG);
      expect(r.stderr).toContain(base);
      expect(r.stderr).toContain("NO_AUTH");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});

describe("a ZooKeeper base path this client may read but not write", () => {
  it("0_register is a BackendAuthError, said once loudly by the adapter, not an outage retried in silence", async () => {
    const ro = `${base}-ro`;
    await call((cb) => owner.create(ro, cb));
    await call((cb) => owner.setACL(ro, [new ACL(Permission.READ, new Id("world", "anyone"))], -1, cb));
    const { logger, lines } = capturingLogger();
    const r = new ZooKeeperRegistry({ connect: ZK, format: "curator", chroot: ro, sessionTimeoutMs: 10_000, logger });
    try {
      await r.checkAccess("write");
      for (let n = 0; n < 3; n++) await expect(r.register(instance("web", "c1", 80))).rejects.toBeInstanceOf(BackendAuthError);
      const loud = lines.filter((l) => (l.level as number) >= 50);
      expect(loud).toHaveLength(1);
      expect(String(loud[0]!.msg)).toContain(ro);
    } finally {
      await r.close();
      await call((cb) => owner.remove(ro, -1, cb)).catch(() => {});
    }
  });
});
