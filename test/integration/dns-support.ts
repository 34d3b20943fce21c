// Real DNS clients for integration tests: dig (output parsed into zone text) and a shim on a free port.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Instance } from "../../src/core/model.js";
import type { Registry } from "../../src/core/registry.js";
import { silentLogger } from "../../src/core/log.js";
import { startDns, type RunningDns } from "../../src/dns/service.js";
import { dnsOptions, type DnsOptions } from "../../src/dns/options.js";

const run = promisify(execFile);

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  /** dig's whole output, for failure messages. */
  text: string;
}

/** Runs dig against 127.0.0.1:port; records come back as single-spaced zone text. */
export async function dig(port: number, name: string, type: string, ...flags: string[]): Promise<DigResult> {
  const { stdout } = await run("dig", [`@127.0.0.1`, "-p", String(port), name, type, "+time=2", "+tries=1", ...flags], { timeout: 15_000 });
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? "NONE";
  const flagLine = /;; flags: ([a-z ]+);/.exec(stdout)?.[1] ?? "";
  const section = (title: string) => {
    const m = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(stdout);
    return m ? m[1]!.split("\n").filter((l) => l && !l.startsWith(";")).map((l) => l.trim().split(/\s+/).join(" ")) : [];
  };
  return { status, flags: flagLine.trim().split(" "), answer: section("ANSWER"), authority: section("AUTHORITY"), additional: section("ADDITIONAL"), text: stdout };
}

export function instance(name: string, n: number, over: Partial<Instance> = {}): Instance {
  return { id: `dns-it:${name}-${n}:80`, name, address: `10.9.${n >> 8}.${n & 255}`, port: 2000 + n, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "dns-it", ...over };
}

/** A shim on 127.0.0.1 and a free port, fed by `registry`. */
export function shim(registry: Registry, over: Partial<DnsOptions> = {}): Promise<RunningDns & { port: number }> {
  return startDns(registry, dnsOptions({ listen: { host: "127.0.0.1", port: 0 }, ...over }), silentLogger()).then((d) => ({ ...d, port: Number(d.address.split(":").pop()) }));
}
