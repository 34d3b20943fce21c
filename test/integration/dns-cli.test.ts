// `portolan dns` and `portolan up` as real processes: flags, the listening log line, answers, exit codes.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runCli, startCli } from "./cli.js";
import { dig } from "./dns-support.js";
import { until } from "../support/until.js";

const USAGE: [string, string[], RegExp][] = [
  ["missing --registry", [], /--registry/],
  ["bad registry URI", ["--registry", "nope://x"], /nope:\/\/x/],
  ["bad --ttl", ["--registry", "memory:", "--ttl", "soon"], /--ttl/],
  ["bad --service-ttl", ["--registry", "memory:", "--service-ttl", "web"], /--service-ttl/],
  ["bad --listen", ["--registry", "memory:", "--listen", "127.0.0.1:99999"], /--listen/],
  ["bad --recursor", ["--registry", "memory:", "--recursor", "a:b:c"], /--recursor/],
  ["--recursor port 0", ["--registry", "memory:", "--recursor", "127.0.0.1:0"], /--recursor/],
  ["--listen on a name that does not resolve", ["--registry", "memory:", "--listen", "nosuch.invalid:18656"], /--listen nosuch\.invalid:18656/],
  ["bad --domain", ["--registry", "memory:", "--domain", "bad_domain!"], /--domain/],
  ["bad --workers", ["--registry", "memory:", "--workers", "0"], /--workers/],
];

describe("portolan dns", () => {
  USAGE.forEach(([name, args, message], i) =>
    it(`${i}_${name}: exit 64, the message names it`, () => {
      const r = runCli(["dns", ...args]);
      expect(r.code).toBe(64);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
    }),
  );

  it(`${USAGE.length}_serves, logs where, stops on SIGTERM with 0; a taken address exits 64 naming it`, async () => {
    const p = startCli(["dns", "--registry", "memory:", "--listen", "127.0.0.1:18653", "--domain", "internal", "--ttl", "30s", "--log-format", "json"]);
    try {
      await until("the listening line", () => p.logs().includes("dns listening on 127.0.0.1:18653 (udp+tcp)"), 15_000);
      expect((await dig(18653, "internal", "SOA")).answer[0]).toMatch(/^internal\. 0 IN SOA ns\.internal\. hostmaster\.internal\. /);
      expect((await dig(18653, "web.service.consul", "A")).status).toBe("REFUSED");
      const taken = runCli(["dns", "--registry", "memory:", "--listen", "127.0.0.1:18653"]);
      expect(taken.code).toBe(64);
      expect(taken.stderr).toMatch(/--listen 127.0.0.1:18653: cannot listen \(EADDRINUSE\)/);
    } finally {
      p.proc.kill("SIGTERM");
    }
    expect((await p.exited).code).toBe(0);
  });

  it(`${USAGE.length + 1}_--listen localhost:PORT binds the name's address (UDP and TCP)`, async () => {
    const p = startCli(["dns", "--registry", "memory:", "--listen", "localhost:18657", "--log-format", "json"]);
    try {
      await until("the listening line", () => /dns listening on (127\.0\.0\.1|\[::1\]):18657 \(udp\+tcp\)/.test(p.logs()), 15_000);
      const ip = p.logs().includes("[::1]:18657") ? "::1" : "127.0.0.1";
      for (const tcp of ["+notcp", "+tcp"]) {
        const out = execFileSync("dig", [`@${ip}`, "-p", "18657", "consul", "SOA", "+time=2", "+tries=1", tcp], { encoding: "utf8" });
        expect(out).toContain("status: NOERROR");
      }
    } finally {
      p.proc.kill("SIGTERM");
    }
    expect((await p.exited).code).toBe(0);
  });

  it(`${USAGE.length + 2}_--workers 2: both workers answer, all stop on SIGTERM`, async () => {
    const p = startCli(["dns", "--registry", "memory:", "--listen", "127.0.0.1:18654", "--workers", "2", "--log-format", "json"]);
    try {
      await until("the listening line", () => p.logs().includes("dns listening on 127.0.0.1:18654 (udp+tcp, 2 workers)"), 15_000);
      for (let i = 0; i < 20; i++) expect((await dig(18654, "nope.service.consul", "A", i % 2 ? "+tcp" : "+notcp")).status).toBe("NXDOMAIN");
    } finally {
      p.proc.kill("SIGTERM");
    }
    expect((await p.exited).code).toBe(0);
  });
});

describe("portolan up", () => {
  it("0_runs the shim; one log line says where", async () => {
    const p = startCli(["up", "--dns", "127.0.0.1:18655", "--explicit", "--hostname", `dns-up-${process.pid}`, "--log-format", "json"]);
    try {
      await until("the listening line", () => p.logs().includes("dns listening on 127.0.0.1:18655 (udp+tcp)"), 15_000);
      expect(p.logs().match(/dns listening/g)).toHaveLength(1);
      expect((await dig(18655, "consul", "NS")).answer).toEqual(["consul. 0 IN NS ns.consul."]);
    } finally {
      p.proc.kill("SIGTERM");
    }
    expect((await p.exited).code).toBe(0);
  });
});
