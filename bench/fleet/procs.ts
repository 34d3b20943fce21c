// Processes and ports of the fleet bench: every process it starts is registered here, so that a stop (normal end,
// failure, SIGINT) ends all of them; its CPU and RSS are read from /proc; ports come from one range given by the caller.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";

export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private log: WriteStream | undefined;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: SpawnOptions & { logFile?: string } = {},
  ) {
    const { logFile, ...spawnOpts } = opts;
    this.child = spawn(cmd, args, { stdio: ["ignore", logFile ? "pipe" : "ignore", logFile ? "pipe" : "ignore"], ...spawnOpts });
    if (logFile) {
      this.log = createWriteStream(logFile, { flags: "a" });
      this.child.stdout?.pipe(this.log, { end: false });
      this.child.stderr?.pipe(this.log, { end: false });
    }
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.log?.end();
        resolve(code ?? (signal ? 128 : null));
      });
      this.child.once("error", () => resolve(null));
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Signal, wait up to `graceMs`, then SIGKILL. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** CPU seconds used so far (user + system), from /proc/PID/stat; 0 once gone. */
  cpuSeconds(): number {
    return procCpuSeconds(this.pid);
  }

  /** Resident set size in MiB, from /proc/PID/status; 0 once gone. */
  rssMiB(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every process started by the bench, so one call stops them all. */
export class ProcSet {
  private readonly procs = new Set<Proc>();

  start(name: string, cmd: string, args: string[], opts: SpawnOptions & { logFile?: string } = {}): Proc {
    const p = new Proc(name, cmd, args, opts);
    this.procs.add(p);
    void p.exited.then(() => this.procs.delete(p));
    return p;
  }

  /** SIGTERM to all at once, then wait for each (SIGKILL after the grace). */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.stop("SIGTERM", graceMs)));
  }

  /** On a signal or crash of the bench itself: SIGKILL everything now (synchronous). */
  killAllNow(): void {
    for (const p of this.procs) if (p.alive) p.child.kill("SIGKILL");
  }
}

/** Hands out ports of [first, last] that are free on `host` (each is tried by listening on it). */
export class PortRange {
  private next: number;
  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    this.next = first;
  }

  async take(host = "127.0.0.1"): Promise<number> {
    while (this.next <= this.last) {
      const port = this.next++;
      if (await canListen(host, port)) return port;
    }
    throw new Error(`no free port left in ${this.first}-${this.last}`);
  }
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `ok` every `everyMs` until it is true (returns the ms waited) or `timeoutMs` passed (returns undefined). */
export async function waitFor(ok: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<number | undefined> {
  const t0 = Date.now();
  for (;;) {
    if (await Promise.resolve(ok()).catch(() => false)) return Date.now() - t0;
    if (Date.now() - t0 >= timeoutMs) return undefined;
    await pause(everyMs);
  }
}

/**
 * The member processes of a clustered backend (Consul servers and agents, a ZooKeeper ensemble), each started by
 * `launch`: all launched and waited for, a leader killed and relaunched, their CPU time counted (a killed one's kept).
 */
export class Members<M extends { proc?: Proc }> {
  private retiredCpu = 0;

  constructor(private readonly launch: (m: M) => void) {}

  /** Launches `members`, then waits until every one is `ready` (polled every 500 ms); throws `failure` after `timeoutMs`. */
  async start(members: M[], ready: (m: M) => Promise<boolean>, timeoutMs: number, failure: string): Promise<void> {
    for (const m of members) this.launch(m);
    const ok = await waitFor(async () => (await Promise.all(members.map(ready))).every(Boolean), timeoutMs, 500);
    if (ok === undefined) throw new Error(failure);
  }

  /**
   * SIGKILL `leader`, wait until the others have a new leader (`elected`), keep it down `downMs` in all, then
   * relaunch it and wait until it serves again (`rejoined`). Returns the ms until the new leader was seen.
   */
  async killAndRelaunch(leader: M, o: { downMs: number; elected: () => Promise<boolean>; rejoined: () => Promise<boolean> }): Promise<number | undefined> {
    const proc = leader.proc!;
    this.retiredCpu += proc.cpuSeconds();
    proc.child.kill("SIGKILL");
    await proc.exited;
    const t0 = Date.now();
    const electedMs = await waitFor(o.elected, 60_000, 100);
    await pause(Math.max(0, o.downMs - (Date.now() - t0)));
    this.launch(leader);
    await waitFor(o.rejoined, 90_000, 250);
    return electedMs;
  }

  /** CPU seconds of `members` since they started, those of killed ones included. */
  cpuSeconds(members: M[]): number {
    return this.retiredCpu + members.reduce((s, m) => s + (m.proc?.cpuSeconds() ?? 0), 0);
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
