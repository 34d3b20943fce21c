// The Eureka parts of the test bed (scripts/testbed/eureka.sh): a server's REST API read directly, stop/start of a
// server, and the real Java Eureka client (Netflix's DiscoveryClient as Spring Cloud wires it) run as a process.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { httpCall, testbed, TESTBED } from "./testbed.js";

/** The spring-cloud-netflix version eureka.sh pins (its jars are cached under this name). */
export const EUREKA_VERSION = "5.0.3";
const CACHE = process.env["PORTOLAN_CACHE"] ?? join(homedir(), ".cache", "portolan");
export const EUREKA_CLIENT_JAR = join(CACHE, `eureka-client-${EUREKA_VERSION}.jar`);

/** Server numbers of eureka.sh: 1 single, 2 and 3 the peer pair, 4 basic auth. */
export type EurekaServerNo = 1 | 2 | 3 | 4;
export const eurekaAddress = (n: EurekaServerNo) => [TESTBED.eureka.single, ...TESTBED.eureka.pair, TESTBED.eureka.auth][n - 1]!;

export function eurekaStop(n: EurekaServerNo): void {
  testbed("eureka-stop", String(n));
}

/** Starts server n and returns when it answers (a Spring Boot start: tens of seconds on a loaded machine). */
export function eurekaStart(n: EurekaServerNo): void {
  testbed("eureka-start", String(n));
}

/** The basic-auth server's password (user "portolan"). */
export function eurekaAuthPassword(): string {
  return readFileSync(join(TESTBED.stateDir, "eureka", "auth"), "utf8").trim();
}

/** GET /eureka/apps/APP/ID on server n: the InstanceInfo it holds, or undefined (404). */
export async function eurekaInstance(n: EurekaServerNo, app: string, id: string): Promise<Record<string, unknown> | undefined> {
  const [host, port] = eurekaAddress(n).split(":");
  const r = await httpCall({ host: host!, port: Number(port), path: `/eureka/apps/${encodeURIComponent(app.toUpperCase())}/${encodeURIComponent(id)}`, headers: { accept: "application/json" } });
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`eureka ${n}: HTTP ${r.status}`);
  return (JSON.parse(r.body) as { instance: Record<string, unknown> }).instance;
}

export interface Found {
  id: string;
  host: string;
  ip: string;
  port: number;
  status: string;
  owner: string;
}

/**
 * Runs the Java client against `servers` until app `app` has an instance with `status`; resolves with every instance
 * it printed. Rejects with its output when it gives up (exit 1) or fails.
 */
export function javaEurekaFind(servers: string[], app: string, status: string, timeoutSeconds = 60): Promise<Found[]> {
  const args = [
    "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", EUREKA_CLIENT_JAR,
    "--spring.main.web-application-type=none", "--spring.application.name=portolan-test-reader", "--logging.level.root=WARN",
    `--eureka.client.service-url.defaultZone=${servers.map((s) => `http://${s}/eureka/`).join(",")}`,
    "--eureka.client.register-with-eureka=false", "--eureka.client.registry-fetch-interval-seconds=1", "--eureka.client.filter-only-up-instances=false",
    `--find.app=${app}`, `--find.status=${status}`, `--find.timeout-seconds=${timeoutSeconds}`,
  ];
  return new Promise((resolve, reject) => {
    execFile("java", args, { timeout: (timeoutSeconds + 120) * 1000, encoding: "utf8" }, (err, stdout, stderr) => {
      const found = stdout.split("\n").flatMap((line) => {
        const m = /^FOUND id=(\S+) host=(\S+) ip=(\S+) port=(\d+) status=(\S+) owner=(\S+)$/.exec(line);
        return m ? [{ id: m[1]!, host: m[2]!, ip: m[3]!, port: Number(m[4]), status: m[5]!, owner: m[6]! }] : [];
      });
      if (err || found.length === 0) reject(new Error(`java eureka client: ${err?.message ?? "found nothing"}\n${stdout}\n${stderr.slice(-3000)}`));
      else resolve(found);
    });
  });
}
