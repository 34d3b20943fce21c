// vitest globalSetup for the integration project: brings the real test bed up (idempotent, reuses
// what already runs), then checks that every part answers (Eureka servers and the Java client jar too). Anything missing fails the run loudly.
// Nothing is stopped at teardown: services stay up for the next run (and for other developers'
// runs on the same machine); `scripts/testbed.sh down` (done by .ci/run) stops them.
import { execFileSync } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { existsSync, readFileSync } from "node:fs";
import { EUREKA_CLIENT_JAR } from "./eureka-support.js";
import { TESTBED, consulAclTokens, consulTlsFiles, httpCall, zkFourLetter, zkMode } from "./testbed.js";

class TestbedNotReadyError extends Error {
  override name = "TestbedNotReadyError";
}

async function check(what: string, probe: () => Promise<string | undefined>): Promise<string | undefined> {
  try {
    const problem = await probe();
    return problem === undefined ? undefined : `${what}: ${problem}`;
  } catch (err) {
    return `${what}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** GET over HTTPS with the test bed's client certificate. */
function httpsGet(path: string): Promise<{ status: number; body: string }> {
  const f = consulTlsFiles();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { ...TESTBED.consulTls, path, ca: readFileSync(f.ca), cert: readFileSync(f.cert), key: readFileSync(f.key), agent: false, timeout: 5_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout after 5000 ms")));
    req.on("error", reject);
    req.end();
  });
}

const isLeader = (r: { status: number; body: string }) =>
  r.status === 200 && /^"[^"]+"$/.test(r.body) ? undefined : `/v1/status/leader answered ${r.status} ${r.body}`;

async function verify(): Promise<string[]> {
  const results = await Promise.all([
    check(`dockerd (${TESTBED.dockerSocket})`, async () => {
      const r = await httpCall({ socketPath: TESTBED.dockerSocket, path: "/_ping" });
      return r.status === 200 && r.body === "OK" ? undefined : `/_ping answered ${r.status} ${r.body}`;
    }),
    check(`docker images`, async () => {
      for (const image of [TESTBED.busyboxImage, TESTBED.nodeImage]) {
        const r = await httpCall({ socketPath: TESTBED.dockerSocket, path: `/images/${image}/json` });
        if (r.status !== 200) return `${image} missing (${r.status})`;
      }
      return undefined;
    }),
    check(`ZooKeeper standalone ${TESTBED.zkStandalone}`, async () => {
      const mode = zkMode(await zkFourLetter(TESTBED.zkStandalone, "srvr"));
      return mode === "standalone" ? undefined : `mode is ${mode ?? "not serving"}`;
    }),
    check(`ZooKeeper ensemble ${TESTBED.zkEnsemble.join(",")}`, async () => {
      const modes = await Promise.all(TESTBED.zkEnsemble.map(async (a) => zkMode(await zkFourLetter(a, "srvr"))));
      const leaders = modes.filter((m) => m === "leader").length;
      const followers = modes.filter((m) => m === "follower").length;
      return leaders === 1 && followers === 2 ? undefined : `modes are ${modes.map((m) => m ?? "not serving").join(",")}`;
    }),
    check(`Consul ${TESTBED.consul.host}:${TESTBED.consul.port}`, async () => isLeader(await httpCall({ ...TESTBED.consul, path: "/v1/status/leader" }))),
    check(`Consul with ACLs ${TESTBED.consulAcl.host}:${TESTBED.consulAcl.port}`, async () => {
      const r = await httpCall({ ...TESTBED.consulAcl, path: `/v1/acl/token/self`, headers: { "x-consul-token": consulAclTokens().registrator } });
      return r.status === 200 ? undefined : `/v1/acl/token/self with the scoped token answered ${r.status} ${r.body}`;
    }),
    check(`Consul with TLS https://${TESTBED.consulTls.host}:${TESTBED.consulTls.port}`, async () => isLeader(await httpsGet("/v1/status/leader"))),
    ...[TESTBED.eureka.single, ...TESTBED.eureka.pair, TESTBED.eureka.auth].map((address) =>
      check(`Eureka ${address}`, async () => {
        const [host, port] = address.split(":");
        const r = await httpCall({ host: host!, port: Number(port), path: "/eureka/apps", headers: { accept: "application/json" } });
        const want = address === TESTBED.eureka.auth ? 401 : 200;
        return r.status === want ? undefined : `/eureka/apps answered ${r.status}, not ${want}`;
      }),
    ),
    check(`Java Eureka client ${EUREKA_CLIENT_JAR}`, async () => (existsSync(EUREKA_CLIENT_JAR) ? undefined : "missing (scripts/testbed/eureka.sh builds it)")),
  ]);
  return results.filter((r): r is string => r !== undefined);
}

export async function setup(): Promise<void> {
  const started = Date.now();
  try {
    execFileSync("bash", [TESTBED.script, "up"], { stdio: ["ignore", "inherit", "inherit"] });
  } catch (err) {
    throw new TestbedNotReadyError(`scripts/testbed.sh up failed; the integration tests cannot run`, { cause: err });
  }
  const problems = await verify();
  if (problems.length > 0) {
    throw new TestbedNotReadyError(`test bed is not ready:\n  ${problems.join("\n  ")}`);
  }
  console.error(`[testbed] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
