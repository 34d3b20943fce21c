// dnsperf runner and a tiny UDP probe for bench/dns.ts.
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import dns2 from "dns2";
import { delay } from "../src/core/util.js";

export interface PerfResult {
  qps: number;
  lost: number;
  avgMs: number;
  /** From per-query latencies (perQuery runs only), else NaN. */
  p99Ms: number;
}

export interface PerfOptions {
  port: number;
  queries: string;
  seconds: number;
  /** Rate limit (-Q); unlimited when absent. */
  qps?: number;
  /** dnsperf -v: one line per query, for the p99. */
  perQuery?: boolean;
}

export function dnsperf(o: PerfOptions): Promise<PerfResult> {
  const argv = ["-s", "127.0.0.1", "-p", String(o.port), "-d", o.queries, "-l", String(o.seconds), "-c", "4", "-q", "200", "-t", "2"];
  if (o.qps) argv.push("-Q", String(o.qps));
  if (o.perQuery) argv.push("-v");
  return new Promise((resolve, reject) => {
    execFile("dnsperf", argv, { maxBuffer: 1 << 30 }, (err, stdout) => {
      if (err) return reject(err);
      const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
      let p99 = NaN;
      if (o.perQuery) {
        const lat = [...stdout.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
        p99 = lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] ?? NaN;
      }
      resolve({ qps: num(/Queries per second:\s+([\d.]+)/), lost: num(/Queries lost:\s+(\d+)/), avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000, p99Ms: p99 });
    });
  });
}

/** A query for `name` and `type` (numeric). */
export function benchQuery(name: string, type: number): Buffer {
  const { Packet } = dns2;
  const p = new Packet();
  p.header.id = 1;
  p.questions.push({ name, type, class: 1 } as never);
  return p.toBuffer();
}

interface Answer {
  answer: string[];
}

function ask(port: number, q: Buffer): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket("udp4");
    const timer = setTimeout(() => done(undefined), 500);
    function done(a: Answer | undefined) {
      clearTimeout(timer);
      sock.close();
      resolve(a);
    }
    sock.on("message", (msg) => {
      const p = dns2.Packet.parse(msg) as unknown as { answers: { name: string; ttl: number; type: number; address?: string }[] };
      done({ answer: p.answers.map((r) => `${r.name}. ${r.ttl} IN ${r.type === 1 ? "A" : r.type} ${r.address ?? ""}`.trim()) });
    });
    sock.on("error", () => done(undefined));
    sock.send(q, port, "127.0.0.1");
  });
}

/** Polls until `ok` holds for the answer (every `stepMs`, up to 30 s). */
export async function waitForAnswer(port: number, q: Buffer, ok: (a: Answer) => boolean, stepMs = 50): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const a = await ask(port, q);
    if (a && ok(a)) return;
    if (Date.now() > end) throw new Error(`127.0.0.1:${port} did not give the expected answer in 30 s`);
    await delay(stepMs);
  }
}
