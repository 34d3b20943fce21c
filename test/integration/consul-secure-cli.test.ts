// `portolan registrator` and `portolan render --registry` as real processes against Consul as production runs
// it (the test bed's ACL-enforcing agent and its HTTPS agent with client certificates required).
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConsulRegistry } from "../../adapters/consul/index.js";
import { EXIT_CONFIG } from "../../src/core/exit-codes.js";
import { runCli, startCli, type Running } from "./cli.js";
import { createToken, makeInstance, revokeToken, runNames } from "./consul-support.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { consulAclTokens, consulTlsFiles, TESTBED } from "./testbed.js";

const NAMES = runNames("c");
const OWNER = NAMES.owner;
const ACL_URI = `consul://${TESTBED.consulAcl.host}:${TESTBED.consulAcl.port}`;
const TLS_URI = `consul+https://${TESTBED.consulTls.host}:${TESTBED.consulTls.port}`;
/** The policies of examples/consul-acl/: the least each command needs. */
const examplePolicy = (name: "registrator" | "render") =>
  readFileSync(new URL(`../../examples/consul-acl/${name}-policy.hcl`, import.meta.url), "utf8");
const tlsEnv = () => {
  const f = consulTlsFiles();
  return { CONSUL_CACERT: f.ca, CONSUL_CLIENT_CERT: f.cert, CONSUL_CLIENT_KEY: f.key, CONSUL_HTTP_TOKEN: "" };
};

let aclAdmin: ConsulRegistry;
let tlsAdmin: ConsulRegistry;
let dir: string;
let proc: Running | undefined;

beforeAll(async () => {
  aclAdmin = new ConsulRegistry({ ...TESTBED.consulAcl, token: consulAclTokens().management });
  tlsAdmin = new ConsulRegistry({ ...TESTBED.consulTls, secure: true, ...consulTlsFiles() });
  dir = await mkdtemp(join(tmpdir(), "portolan-consul-cli-"));
});

afterEach(async () => {
  if (proc && proc.proc.exitCode === null) proc.proc.kill("SIGKILL");
  proc = undefined;
  await removeTestContainers();
});

afterAll(async () => {
  for (const r of [aclAdmin, tlsAdmin]) {
    // Everything this run's registrators wrote, also other tests' containers on the shared dockerd.
    for (const i of await r.listOwned(OWNER).catch(() => [])) await r.deregister(i).catch(() => {});
    await r.close();
  }
  await rm(dir, { recursive: true, force: true });
});

const registrator = (uri: string, env: Record<string, string>, resync = "2") =>
  startCli(["registrator", "--explicit", "--hostname", OWNER, "--resync", resync, "--retry-interval", "100", "--log-format", "json", uri], env);
const registered = (admin: ConsulRegistry, service: string) => async () => (await admin.listOwned(OWNER)).some((i) => i.name === service);
const errorLines = (logs: string, text: string) => logs.split("\n").filter((l) => l.includes('"level":50') && l.includes(text));

describe("portolan registrator", () => {
  it("0_with_the_scoped_token_registers_on_the_acl_agent", async () => {
    const token = consulAclTokens().registrator;
    await startTestContainer({ name: `${OWNER}-a`, ports: ["80/tcp"], env: { SERVICE_NAME: `${NAMES.run}-a` } });
    proc = registrator(ACL_URI, { CONSUL_HTTP_TOKEN: token });
    await eventually("registered with the token", registered(aclAdmin, `${NAMES.run}-a`), 20_000);
    expect(proc.logs()).not.toContain(token);
  });

  it("1_missing_unknown_or_insufficient_token_exits_78_naming_the_permission", async () => {
    const readOnly = await createToken("cli-ro", 'service_prefix "" { policy = "read" }');
    const cases = [
      { name: "no_token", token: "", says: "'service:write'" },
      { name: "unknown_token", token: "00000000-1111-2222-3333-444444444444", says: "ACL not found" },
      { name: "read_only_token", token: readOnly.secret, says: "'service:write'" },
    ];
    for (const [i, c] of cases.entries()) {
      const r = runCli(["registrator", "--hostname", OWNER, "--log-format", "json", ACL_URI], { CONSUL_HTTP_TOKEN: c.token });
      expect(r.code, `${i}_${c.name}: ${r.stderr}`).toBe(EXIT_CONFIG);
      expect(r.stderr, `${i}_${c.name}`).toContain(c.says);
      expect(r.stderr.split("\n").filter((l) => l.includes(c.says)), `${i}_${c.name}: said once`).toHaveLength(1);
      if (c.token) expect(r.stderr + r.stdout, `${i}_${c.name}`).not.toContain(c.token);
    }
    await revokeToken(readOnly);
  });

  it("2_token_revoked_while_running_is_logged_loudly_once_and_retried_until_restored", async () => {
    const token = await createToken("cli-revoked", examplePolicy("registrator"));
    await startTestContainer({ name: `${OWNER}-b`, ports: ["80/tcp"], env: { SERVICE_NAME: `${NAMES.run}-b` } });
    // No periodic resync: its listing, refused too, would hold container syncs behind its own growing backoff.
    proc = registrator(ACL_URI, { CONSUL_HTTP_TOKEN: token.secret }, "0");
    await eventually("b registered", registered(aclAdmin, `${NAMES.run}-b`), 20_000);

    await revokeToken(token);
    await startTestContainer({ name: `${OWNER}-c`, ports: ["80/tcp"], env: { SERVICE_NAME: `${NAMES.run}-c` } });
    const running = proc;
    await eventually("the loud line", () => errorLines(running.logs(), "ACL not found").length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 1_500)); // several retries later …
    expect(errorLines(proc.logs(), "ACL not found")).toHaveLength(1); // … still one line
    expect(proc.proc.exitCode).toBeNull(); // running, retrying
    // No warning per attempt (other containers on the shared dockerd may cause warnings of their own).
    expect(proc.logs().split("\n").filter((l) => l.includes('"level":40') && l.includes("BackendAuthError"))).toEqual([]);

    await createToken("cli-revoked", examplePolicy("registrator"), token);
    await eventually("c registered once the token is back", registered(aclAdmin, `${NAMES.run}-c`), 40_000, 200).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${running.logs().split("\n").filter((l) => !l.includes("iso")).join("\n")}`);
    });
    expect(proc.logs()).toContain("credentials accepted again");
    expect(proc.logs()).not.toContain(token.secret);
  });

  it("4_a_service_name_the_acl_denies_holds_no_one_else", async () => {
    // The registrator may write every service except one: containers declaring it are retried on their own timers.
    const token = await createToken("cli-deny", `${examplePolicy("registrator")}\nservice "${NAMES.run}-denied" {\n  policy = "deny"\n}\n`);
    for (const n of ["x", "y"]) await startTestContainer({ name: `${OWNER}-deny-${n}`, ports: ["80/tcp"], env: { SERVICE_NAME: `${NAMES.run}-denied` } });
    // One queue slot: before, the first denied container's job retried inside the slot for ever.
    proc = startCli(["registrator", "--explicit", "--hostname", OWNER, "--concurrency", "1", "--resync", "1", "--retry-interval", "100", "--log-format", "json", ACL_URI], { CONSUL_HTTP_TOKEN: token.secret });
    const running = proc;
    await eventually("the denied writes are tried", () => running.logs().includes(`${NAMES.run}-denied`), 20_000);
    await startTestContainer({ name: `${OWNER}-e`, ports: ["80/tcp"], env: { SERVICE_NAME: `${NAMES.run}-e` } });
    await eventually("e registered beside the denied ones", registered(aclAdmin, `${NAMES.run}-e`), 20_000);
    await eventually("periodic resyncs still finish", () => running.logs().split("\n").filter((l) => l.includes("resync done")).length >= 2, 20_000);
    expect(await registered(aclAdmin, `${NAMES.run}-denied`)()).toBe(false);
    expect(proc.logs()).not.toContain(token.secret);
    await revokeToken(token);
  });

  it("3_over_https_with_a_client_certificate_and_78_without_one", async () => {
    await startTestContainer({ name: `${OWNER}-d`, ports: ["80/tcp"], env: { SERVICE_NAME: `${NAMES.run}-d` } });
    proc = registrator(TLS_URI, tlsEnv());
    await eventually("registered over https", registered(tlsAdmin, `${NAMES.run}-d`), 20_000);
    const noCert = runCli(["registrator", "--hostname", OWNER, TLS_URI], { ...tlsEnv(), CONSUL_CLIENT_CERT: "", CONSUL_CLIENT_KEY: "" });
    expect(noCert.code, noCert.stderr).toBe(EXIT_CONFIG);
    expect(noCert.stderr).toContain("client certificate");
  });
});

describe("portolan render --registry", () => {
  const template = async (service: string) => {
    const src = join(dir, `${service}.mustache`);
    await writeFile(src, `{{#services.${service}}}{{hostPort}} {{/services.${service}}}\n`);
    return src;
  };

  it("0_reads_services_from_the_acl_agent_with_the_token_and_78_without", async () => {
    const i = makeInstance(NAMES, "r1");
    await aclAdmin.register(i);
    const dest = join(dir, "acl.out");
    const args = ["render", "--registry", ACL_URI, "--template", `${await template(i.name)}:${dest}`];
    const reader = await createToken("cli-render", examplePolicy("render"));
    const ok = runCli(args, { CONSUL_HTTP_TOKEN: reader.secret });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(dest, "utf8")).toBe(`127.0.0.1:${i.port} \n`);
    await revokeToken(reader);

    const dest2 = join(dir, "acl-no-token.out");
    const refused = runCli(["render", "--registry", ACL_URI, "--template", `${await template(i.name)}:${dest2}`], { CONSUL_HTTP_TOKEN: "" });
    expect(refused.code, refused.stderr).toBe(EXIT_CONFIG);
    expect(refused.stderr).toContain("'service:read'");
    expect(existsSync(dest2)).toBe(false);
  });

  it("1_reads_services_over_https_with_a_client_certificate", async () => {
    const i = makeInstance(NAMES, "r2");
    await tlsAdmin.register(i);
    const dest = join(dir, "tls.out");
    const r = runCli(["render", "--registry", TLS_URI, "--template", `${await template(i.name)}:${dest}`], tlsEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(dest, "utf8")).toBe(`127.0.0.1:${i.port} \n`);
  });
});

describe("portolan catalog and dns on the ACL agent", () => {
  it("0_catalog_reads_with_the_read_token_and_every_reader_exits_78_without_one", async () => {
    const i = makeInstance(NAMES, "v1");
    await aclAdmin.register(i);
    const reader = await createToken("cli-catalog", examplePolicy("render"));
    try {
      const ok = runCli(["catalog", "service", i.name, "--registry", ACL_URI, "--json"], { CONSUL_HTTP_TOKEN: reader.secret });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(i.id);
    } finally {
      await revokeToken(reader);
    }
    // Without a token Consul would silently answer an empty catalog: each reader refuses to start instead.
    const readers: Array<[string, string[]]> = [
      ["catalog", ["catalog", "--registry", ACL_URI]],
      ["catalog_serve", ["catalog", "serve", "--registry", ACL_URI, "--listen", "127.0.0.1:0"]],
      ["dns", ["dns", "--registry", ACL_URI, "--listen", "127.0.0.1:0"]],
    ];
    for (const [k, [name, args]] of readers.entries()) {
      const r = runCli(args, { CONSUL_HTTP_TOKEN: "" }, 20_000);
      expect(r.code, `${k}_${name}: ${r.stderr}`).toBe(EXIT_CONFIG);
      expect(r.stderr, `${k}_${name}`).toContain("'service:read'");
    }
  });
});
