// Several processes serving one port (node:cluster): the primary watches the registry and sends each snapshot
// to every worker; workers bind the same UDP and TCP address (the primary shares the sockets) and answer.
// A worker that dies is replaced and gets the latest snapshot at once.
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../core/log.js";
import type { CatalogSnapshot } from "../core/model.js";
import type { DnsOptions } from "./options.js";
import { DnsServer } from "./server.js";
import { mergeStats, type DnsStatsSnapshot } from "./stats.js";

type Message =
  | { type: "snapshot"; snapshot: CatalogSnapshot }
  | { type: "listening" }
  | { type: "listen-failed"; code: string | undefined; message: string }
  | { type: "stats"; id: number }
  | { type: "stats-reply"; id: number; stats: DnsStatsSnapshot }
  | { type: "stop" };

/** How long the primary waits for a worker's stats. */
const STATS_TIMEOUT_MS = 1000;

export function isDnsWorker(): boolean {
  return cluster.isWorker;
}

/**
 * In a worker: serve, take snapshots from the primary; resolves when the worker should stop: a signal, the
 * primary's "stop", or the IPC channel gone (the primary died: Node's cluster ends the worker then too).
 */
export async function runDnsWorker(opts: DnsOptions, log: Logger, stopped: Promise<unknown>): Promise<void> {
  const server = new DnsServer(opts, { logger: log });
  let stop!: () => void;
  const told = new Promise<void>((resolve) => (stop = resolve));
  process.on("message", (m: Message) => {
    if (m.type === "snapshot") server.update(m.snapshot);
    if (m.type === "stats") tellPrimary({ type: "stats-reply", id: m.id, stats: server.stats() });
    if (m.type === "stop") stop();
  });
  process.once("disconnect", stop);
  try {
    await server.listen();
    tellPrimary({ type: "listening" });
  } catch (err) {
    // The primary says it (one line, exit 64) and stops every worker, this one too: no stack trace here.
    const e = err as NodeJS.ErrnoException;
    tellPrimary({ type: "listen-failed", code: e.code, message: String(e.message) });
  }
  await Promise.race([stopped, told]);
  // Closes the TCP connections too: the cluster's own disconnect waits for every connection of a shared server
  // to end, so an idle client would hold the worker until the primary's kill timer.
  await server.close();
}

/**
 * A message to the primary, unless the channel is gone: the primary may have stopped the workers already (another
 * worker's bind failed, a signal), and sending on a closed channel throws.
 */
function tellPrimary(m: Message): void {
  if (process.connected) process.send?.(m, undefined, undefined, () => {});
}

export class DnsWorkers {
  private readonly workers = new Set<Worker>();
  /** Workers that said they listen: their message handler is installed (earlier messages would be lost). */
  private readonly ready = new Set<Worker>();
  private latest: CatalogSnapshot | undefined;
  private closing: Promise<void> | undefined;
  private statsId = 0;

  constructor(private readonly log: Logger) {}

  /**
   * Forks `count` workers (they re-run this command's argv) and resolves when all listen. When one cannot listen
   * (the address is taken) every worker is stopped and it rejects with that worker's error (its `code` kept).
   * `signal` (a stop during start-up) stops them all at once too; it then rejects with the signal's reason.
   */
  async start(count: number, signal?: AbortSignal): Promise<void> {
    cluster.setupPrimary({ serialization: "advanced" });
    let failure: { error: unknown } | undefined;
    const fail = (error: unknown) => {
      failure ??= { error };
      void this.close();
    };
    const onAbort = () => fail(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const forks = Array.from({ length: count }, () => this.fork().catch(fail));
    if (signal?.aborted) onAbort();
    await Promise.all(forks);
    signal?.removeEventListener("abort", onAbort);
    if (failure) throw failure.error;
  }

  update(snapshot: CatalogSnapshot): void {
    this.latest = snapshot;
    for (const w of this.ready) send(w, snapshot);
  }

  /** Every ready worker's stats, summed (a worker that does not answer in time is left out). */
  async stats(): Promise<DnsStatsSnapshot> {
    const id = ++this.statsId;
    const replies = await Promise.all([...this.ready].map((w) => new Promise<DnsStatsSnapshot | undefined>((resolve) => {
      const timer = setTimeout(() => done(undefined), STATS_TIMEOUT_MS);
      const onMessage = (m: Message) => m.type === "stats-reply" && m.id === id && done(m.stats);
      function done(s: DnsStatsSnapshot | undefined) {
        clearTimeout(timer);
        w.off("message", onMessage);
        resolve(s);
      }
      w.on("message", onMessage);
      if (w.isConnected()) w.send({ type: "stats", id } satisfies Message);
    })));
    return mergeStats(replies.filter((s): s is DnsStatsSnapshot => s !== undefined));
  }

  /** Stops every worker; resolves when all have exited (once, however often it is called). */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.workers].map((w) => new Promise<void>((resolve) => {
      if (w.process.exitCode !== null || w.process.signalCode !== null) return resolve();
      w.once("exit", () => resolve());
      // One still starting serves nobody: it ends at once on SIGTERM (a booting Node ends on the channel's close
      // only once it is up, ~1 s on a busy host).
      if (!this.ready.has(w)) w.process.kill("SIGTERM");
      // "stop" first (the worker closes its connections), then the channel; messages arrive in order.
      else if (w.isConnected()) w.send({ type: "stop" } satisfies Message);
      if (w.isConnected()) w.disconnect();
      setTimeout(() => w.process.kill("SIGKILL"), 5000).unref();
    }))).then(() => {});
    return this.closing;
  }

  private fork(): Promise<void> {
    const w = cluster.fork();
    this.workers.add(w);
    // A message to a worker that is dying (its channel closed before "disconnect" was seen) fails with EPIPE as an
    // 'error' event: nothing to do, its "exit" follows (an unheard 'error' would end the primary as an internal error).
    w.on("error", (err) => this.log.debug({ pid: w.process.pid, err: String(err) }, "dns worker channel error"));
    w.on("exit", (code, signal) => {
      this.workers.delete(w);
      // One that never listened is no replacement's business: its fork() rejects (start fails, or see below).
      if (!this.ready.delete(w) || this.closing) return;
      this.log.error({ pid: w.process.pid, code, signal }, "dns worker exited; starting another");
      void this.fork().catch((err: unknown) => this.log.error({ err: String(err) }, "dns worker could not be replaced"));
    });
    return new Promise((resolve, reject) => {
      w.on("message", (m: Message) => {
        if (m.type === "listen-failed") reject(Object.assign(new Error(m.message), { code: m.code }));
        if (m.type !== "listening") return;
        // The catalog so far; later snapshots go to every ready worker.
        this.ready.add(w);
        if (this.latest) send(w, this.latest);
        resolve();
      });
      w.once("exit", (code) => reject(new Error(`dns worker exited with ${code} before listening`)));
    });
  }
}

function send(w: Worker, snapshot: CatalogSnapshot): void {
  if (w.isConnected()) w.send({ type: "snapshot", snapshot } satisfies Message);
}
