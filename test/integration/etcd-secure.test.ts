// etcd as production runs it (the test bed's HTTPS node: client certificates required, username/password auth on,
// users `portolan` with readwrite and `reader` with read on /skydns/): real processes read their credentials from
// ETCDCTL_* variables; every refusal at start-up is exit 78 with one line naming what to fix, never the password.
import { readFileSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EtcdRegistry } from "../../adapters/etcd/index.js";
import { EXIT_CONFIG } from "../../src/core/exit-codes.js";
import { runCli, startCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { etcdSecureFiles, TESTBED } from "./testbed.js";

const OWNER = `esec-${process.pid}`;
const URI = `etcd+https://${TESTBED.etcdSecure}`;
const f = etcdSecureFiles();
const tls = { ETCDCTL_CACERT: f.ca, ETCDCTL_CERT: f.cert, ETCDCTL_KEY: f.key };
const as = (user: "portolan" | "reader") => ({ ...tls, ETCDCTL_USER: user, ETCDCTL_PASSWORD: f.passwords[user] });
const [host, port] = TESTBED.etcdSecure.split(":");
const admin = new EtcdRegistry({ endpoints: [{ host: host!, port: Number(port) }], secure: true, user: "root", password: f.passwords.root, ...pem() });
/** PEM text, as the CLI hands it over after reading the files. */
function pem() {
  const read = (p: string) => readFileSync(p, "utf8");
  return { ca: read(f.ca), cert: read(f.cert), key: read(f.key) };
}

let proc: Running | undefined;
afterEach(async () => {
  if (proc && proc.proc.exitCode === null) proc.proc.kill("SIGKILL");
  proc = undefined;
  await removeTestContainers();
});
afterAll(async () => {
  for (const i of await admin.listOwned(OWNER).catch(() => [])) await admin.deregister(i).catch(() => {});
  await admin.close();
});

const registrator = (env: Record<string, string>) => startCli(["registrator", "--hostname", OWNER, "--retry-interval", "100", "--log-format", "json", URI], env);
const noPassword = (text: string) => {
  for (const pw of Object.values(f.passwords)) expect(text).not.toContain(pw);
};

describe("etcd with TLS client certificates and auth", () => {
  it("0_the registrator registers with the readwrite user; catalog reads with the read-only one", async () => {
    const svc = `esec${process.pid}`;
    await startTestContainer({ name: `${OWNER}-a`, ports: ["80/tcp"], env: { SERVICE_NAME: svc } });
    proc = registrator({ ...as("portolan"), ETCDCTL_PASSWORD: "", ETCDCTL_USER: `portolan:${f.passwords.portolan}` });
    await eventually("registered", async () => (await admin.listOwned(OWNER)).some((i) => i.name === svc), 20_000, 200);
    const cat = runCli(["catalog", "--json", "--registry", URI, "--timeout", "20s"], as("reader"));
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toContain(svc);
    noPassword(proc.logs() + cat.stdout + cat.stderr);
  });

  const refused: [string, Record<string, string>, string[], RegExp][] = [
    ["wrong password", { ...as("portolan"), ETCDCTL_PASSWORD: "not-the-password" }, ["registrator"], /invalid user name or password \(ETCDCTL_USER, ETCDCTL_PASSWORD\)/],
    ["no user while auth is on", tls, ["catalog"], /no user \(ETCDCTL_USER is not set\) lacks permission/],
    ["the read-only user registering", as("reader"), ["registrator"], /user "reader" \(ETCDCTL_USER\) lacks permission \(role readwrite on the prefix \/skydns\/consul\/service\//],
    ["a client certificate with a CommonName", { ...as("portolan"), ETCDCTL_CERT: f.cnCert, ETCDCTL_KEY: f.cnKey }, ["registrator"], /without a CN/],
    ["a client certificate of another CA", { ...as("portolan"), ETCDCTL_CERT: f.otherCert, ETCDCTL_KEY: f.otherKey }, ["catalog"], /TLS: etcd does not accept our client certificate/],
    ["no client certificate", { ...as("portolan"), ETCDCTL_CERT: "", ETCDCTL_KEY: "" }, ["registrator"], /TLS: etcd (requires|does not accept our) client certificate/],
    ["no CA: etcd's certificate is not trusted", { ...as("portolan"), ETCDCTL_CACERT: "" }, ["catalog"], /ETCDCTL_CACERT/],
  ];
  refused.forEach(([name, env, cmd, re], i) => {
    it(`${i + 1}_${name}: exit 78, one line naming the fix`, () => {
      const args = cmd[0] === "catalog" ? ["catalog", "--registry", URI, "--timeout", "10s"] : ["registrator", "--hostname", OWNER, "--log-format", "json", URI];
      const r = runCli(args, env, 30_000);
      expect(r.code, r.stderr).toBe(EXIT_CONFIG);
      expect(r.stderr).toMatch(re);
      noPassword(r.stdout + r.stderr);
      expect(r.stderr).not.toContain("not-the-password");
    });
  });
});
