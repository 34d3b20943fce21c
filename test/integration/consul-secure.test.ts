// The Consul adapter against Consul as production runs it: the test bed's ACL-enforcing agent (default deny, a
// scoped token) and its HTTPS agent that requires client certificates. Every operation the adapter has —
// register, setHealth, listOwned, watch, deregister, the start-up probe — goes through both.
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { ConsulOptionsError, ConsulRegistry, ConsulRequestError } from "../../adapters/consul/index.js";
import { BackendAuthError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";
import type { Instance } from "../../src/core/model.js";
import { until } from "../support/until.js";
import { createToken, has, makeInstance, revokeToken, runNames, SnapshotRecorder } from "./consul-support.js";
import { consulAclTokens, consulTlsFiles, TESTBED } from "./testbed.js";

const NAMES = runNames("s");
const inst = (n: string, over: Partial<Instance> = {}) => makeInstance(NAMES, n, over);

const opened: ConsulRegistry[] = [];
function open(opts: ConstructorParameters<typeof ConsulRegistry>[0]): ConsulRegistry {
  const r = new ConsulRegistry({ watchWaitMs: 5_000, ...opts });
  opened.push(r);
  return r;
}

function logSink(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let out = "";
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => ((out += chunk.toString()), cb()) });
  return { logger: createLogger({ level: "debug", format: "json", destination: sink }), text: () => out };
}

afterAll(async () => {
  const cleanup = [
    new ConsulRegistry({ ...TESTBED.consulAcl, token: consulAclTokens().management }),
    new ConsulRegistry({ ...TESTBED.consulTls, secure: true, ...consulTlsFiles() }),
  ];
  for (const r of cleanup) {
    for (const i of await r.listOwned(NAMES.owner)) await r.deregister(i);
  }
  await Promise.all([...opened, ...cleanup].map((r) => r.close()));
});

/** register -> setHealth -> listOwned -> watch sees it -> deregister -> watch sees it gone. */
async function roundTrip(reg: ConsulRegistry, i: Instance): Promise<void> {
  await reg.checkAccess("write");
  await reg.checkAccess("read");
  const rec = new SnapshotRecorder((s) => reg.watch(s));
  try {
    await reg.register({ ...i, health: "critical" });
    await reg.setHealth(i, "passing", "ok");
    const owned = await reg.listOwned(NAMES.owner);
    expect(owned.find((x) => x.id === i.id)).toMatchObject({ name: i.name, port: i.port, health: "passing" });
    await rec.waitFor((s) => has(s, i.id, "passing"), 10_000);
    await reg.deregister(i);
    await rec.waitFor((s) => !s.instances.some((x) => x.id === i.id), 10_000);
  } finally {
    await rec.stop();
  }
}

describe("ACLs enforced (default deny)", () => {
  it("0_scoped_token_register_setHealth_listOwned_watch_deregister", async () => {
    await roundTrip(open({ ...TESTBED.consulAcl, token: consulAclTokens().registrator }), inst("1", { checks: [{ type: "ttl", intervalMs: 60_000 }] }));
  });

  it("1_probe_names_the_missing_permission", async () => {
    const readOnly = await createToken("ro", 'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }');
    const noNodes = await createToken("nonode", 'service_prefix "" { policy = "write" }');
    const cases: Array<{ name: string; token: string | undefined; access: "read" | "write"; permission: string | undefined }> = [
      { name: "no_token_write", token: undefined, access: "write", permission: "service:write" },
      { name: "no_token_read", token: undefined, access: "read", permission: "service:read,node:read" },
      { name: "unknown_token", token: "00000000-1111-2222-3333-444444444444", access: "read", permission: undefined },
      { name: "read_only_token_write", token: readOnly.secret, access: "write", permission: "service:write" },
      { name: "no_node_read", token: noNodes.secret, access: "read", permission: "node:read" },
    ];
    for (const [i, c] of cases.entries()) {
      const err = await open({ ...TESTBED.consulAcl, ...(c.token && { token: c.token }) })
        .checkAccess(c.access)
        .catch((e: unknown) => e);
      expect(err, `${i}_${c.name}`).toBeInstanceOf(BackendAuthError);
      expect((err as BackendAuthError).permission, `${i}_${c.name}`).toBe(c.permission);
      if (c.token) expect(String(err), `${i}_${c.name}`).not.toContain(c.token);
    }
    // The read-only token may read: the probe passes, and a write names what Consul refused.
    const ro = open({ ...TESTBED.consulAcl, token: readOnly.secret });
    await ro.checkAccess("read");
    const refused = await ro.register(inst("2")).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackendAuthError);
    expect((refused as BackendAuthError).permission).toBe("service:write");
    await Promise.all([revokeToken(readOnly), revokeToken(noNodes)]);
  });

  it("3_a_write_token_without_node_read_resyncs_without_a_false_alarm:_one_info_line_then_no_catalog_check", async () => {
    // Consul answers such a token's read of the node's catalog with an empty 200, not a refusal.
    const svcOnly = await createToken("svconly", 'service_prefix "" { policy = "write" }');
    const log = logSink();
    const reg = open({ ...TESTBED.consulAcl, token: svcOnly.secret, logger: log.logger });
    try {
      await reg.register(inst("4"));
      for (let i = 0; i < 3; i++) expect((await reg.listOwned(NAMES.owner)).map((x) => x.id)).toEqual([inst("4").id]);
      const lines = log.text().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(lines.filter((l) => l.msg.includes("node:read")).map((l) => l.level)).toEqual([30]);
      expect(lines.filter((l) => l.level >= 40)).toEqual([]);
      expect(log.text()).not.toContain(svcOnly.secret);
      await reg.deregister(inst("4"));
    } finally {
      await revokeToken(svcOnly);
    }
  });

  it("2_token_revoked_at_runtime_is_logged_once_counted_retried_and_recovers", async () => {
    const token = await createToken("revoked");
    const log = logSink();
    const reg = open({ ...TESTBED.consulAcl, token: token.secret, logger: log.logger });
    const rec = new SnapshotRecorder((s) => reg.watch(s));
    try {
      await reg.register(inst("3"));
      await rec.waitFor((s) => has(s, inst("3").id, "passing"), 10_000);

      await revokeToken(token);
      for (let n = 0; n < 3; n++) await expect(reg.register(inst("4"))).rejects.toBeInstanceOf(BackendAuthError);
      await expect(reg.setHealth(inst("3"), "warning", "x")).rejects.toBeInstanceOf(BackendAuthError);
      expect(reg.authFailures).toBeGreaterThanOrEqual(4);
      const loud = log.text().split("\n").filter((l) => l.includes('"level":50') && l.includes("ACL not found"));
      expect(loud).toHaveLength(1); // once, however many requests were refused
      expect(loud[0]).toContain("retrying");
      const perAttempt = log.text().split("\n").filter((l) => l.includes('"level":40') && l.includes("ACL not found"));
      expect(perAttempt).toEqual([]); // the watch's retries do not repeat it as warnings

      // The same secret again (as an operator restoring it): the watch, which kept retrying, sees new writes.
      await createToken("revoked", undefined, token);
      await until("the register to be accepted again", () => reg.register(inst("4")).then(() => true, () => false), 10_000, 200);
      await rec.waitFor((s) => has(s, inst("4").id, "passing"), 15_000);
      expect(log.text()).toContain("credentials accepted again");
      expect(log.text()).not.toContain(token.secret);
    } finally {
      await rec.stop();
    }
  });
});

describe("HTTPS with client certificates required (verify_incoming)", () => {
  const files = () => consulTlsFiles();

  it("0_every_operation_over_https_with_a_client_certificate", async () => {
    await roundTrip(open({ ...TESTBED.consulTls, secure: true, ...files() }), inst("5", { checks: [{ type: "ttl", intervalMs: 60_000 }] }));
  });

  it("1_certificate_and_scheme_mistakes_are_configuration_errors", async () => {
    const f = files();
    const cases = [
      { name: "no_client_certificate", opts: { secure: true, ca: f.ca } },
      { name: "ca_not_given", opts: { secure: true, cert: f.cert, key: f.key } },
      { name: "plain_http_to_the_https_port", opts: { secure: false } },
      { name: "https_to_a_plain_http_agent", opts: { secure: true, ca: f.ca, port: TESTBED.consul.port } },
    ];
    for (const [i, c] of cases.entries()) {
      const reg = open({ ...TESTBED.consulTls, ...c.opts });
      await expect(reg.checkAccess("read"), `${i}_${c.name}`).rejects.toBeInstanceOf(BackendAuthError);
      await expect(reg.listOwned(NAMES.owner), `${i}_${c.name}`).rejects.toBeInstanceOf(BackendAuthError);
    }
  });

  it("3_unreadable_pem_file_is_an_options_error", () => {
    expect(() => new ConsulRegistry({ ...TESTBED.consulTls, ca: `${files().ca}.missing` })).toThrow(ConsulOptionsError);
  });

  it("2_a_request_error_is_still_a_request_error_over_https", async () => {
    const reg = open({ ...TESTBED.consulTls, secure: true, ...files() });
    await expect(reg.setHealth(inst("6"), "passing", "x")).rejects.toBeInstanceOf(ConsulRequestError);
  });
});
