// The reconcile loop: Docker events in, a diff against the backend, writes out.
// Effects (docker, registry, clock) are passed in; the diff is the pure planner.
//
// Isolation: every container is its own job in a keyed queue (one at a time per container, `concurrency`
// containers at once). A job works for at most `sliceMs`, then goes to the back of the queue, so a container with
// thousands of ports never delays a small one; a resync only lists, diffs and queues, it never waits on one
// container to start another. A refusal by the backend (InstanceRejectedError) is logged once and never retried
// within a sync; transient failures are retried with backoff and jitter.
//
// Each piece of state has one owner: this class runs the loops (events, resync timer, heartbeat timer) and a
// container's job; what a job starts from is jobs.ts, the backend view entries.ts, writes writer.ts, the full
// reconcile and orphan removal resync.ts, heartbeat due times heartbeat-loop.ts, ID claims claims.ts.
import { REAL_CLOCK, settlesWithin, type Clock } from "../core/clock.js";
import type { Instance } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { ContainerTooLargeError, refusedContainer } from "../docker/answers.js";
import type { DockerPort, ContainerInfo } from "../docker/engine.js";
import { containerName, containerToServices, isServing, originKey, type MappingOptions, type Origin } from "../docker/mapping.js";
import { withoutIdleNetworkEvents } from "../docker/network-events.js";
import { IdClaims } from "./claims.js";
import { KnownEntries } from "./entries.js";
import type { EventSink } from "./events.js";
import { MIN_HEARTBEAT_MS } from "./heartbeat.js";
import { Heartbeats } from "./heartbeat-loop.js";
import { InspectRetries } from "./inspect-retries.js";
import { BackendRecovery } from "../core/recovery.js";
import { ContainerJobs, type ContainerPlan, type Inspection } from "./jobs.js";
import { plan } from "./planner.js";
import { RejectionLog } from "./rejections.js";
import { ORPHANS, Resync } from "./resync.js";
import { removeAllWithin } from "./shutdown.js";
import { KeyedQueue, type JobResult } from "./queue.js";
import { retryDelay, Writer } from "./writer.js";

export { DEFAULT_RETRY_MAX_MS, retryDelay } from "./writer.js";

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_RESYNC_MS = 30_000;
export const DEFAULT_RETRY_INTERVAL_MS = 1_000;
/** Longest stretch one container's job works before the others get a turn. */
export const DEFAULT_SLICE_MS = 500;
/** Backend writes of one container in flight at once. */
export const WRITES_PER_CONTAINER = 8;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface RegistratorOptions {
  owner: string;
  mapping: MappingOptions;
  /** Remove entries owned by `owner` whose container is gone, including those of earlier runs. */
  cleanup: boolean;
  /** "on-success": a container that exits non-zero keeps its entries (until destroyed). */
  deregister: "always" | "on-success";
  /** Full reconcile interval; 0 disables periodic resync (a resync still follows every Docker reconnect). */
  resyncMs: number;
  /** Refresh every entry's health (and TTLs) at this interval; unset = each TTL check at half its TTL. */
  ttlRefreshMs?: number;
  /** Attempts per backend operation before it is left to the next resync; -1 = retry forever. */
  retryAttempts: number;
  retryIntervalMs: number;
  concurrency: number;
  /** Time slice of one container's job; default DEFAULT_SLICE_MS. */
  sliceMs?: number;
}

export class Registrator {
  /** What this process believes the backend holds for `owner` (every write and resync updates it). */
  private readonly entries = new KnownEntries();
  private readonly rejections: RejectionLog;
  private readonly claims = new IdClaims();
  /** What each container's next job starts from (a resync's inspect, a yielded plan), and whom its end wakes. */
  private readonly jobs = new ContainerJobs();
  private readonly queue: KeyedQueue;
  private readonly inspects: InspectRetries;
  /** Containers whose writes failed: requeued on their own timers (the same rules as a failing inspect). */
  private readonly writeRetries: InspectRetries;
  private readonly heartbeats: Heartbeats;
  private readonly writer: Writer;
  private readonly resyncs: Resync;
  private readonly abort = new AbortController();
  private loops: Promise<unknown>[] = [];
  private readonly docker: DockerPort;

  constructor(
    docker: DockerPort,
    private readonly registry: Registry,
    private readonly opts: RegistratorOptions,
    private readonly emit: EventSink = () => {},
    private readonly clock: Clock = REAL_CLOCK,
  ) {
    this.docker = withoutIdleNetworkEvents(docker);
    const { signal } = this.abort;
    const { owner, concurrency } = opts;
    const entries = this.entries;
    this.rejections = new RejectionLog(emit);
    this.queue = new KeyedQueue((key) => (key === ORPHANS ? this.resyncs.removeOrphans() : this.syncContainer(key).then((r) => this.wake(key, r))), concurrency);
    const requeue = (id: string) => void this.queue.push(id);
    const retries = { clock, signal, attempts: opts.retryAttempts, delay: (n: number) => retryDelay(n, opts.retryIntervalMs), requeue };
    const recovery = new BackendRecovery({ ...(registry.ping && { ping: (s: AbortSignal) => registry.ping!(s) }), clock, signal });
    this.inspects = new InspectRetries(retries);
    this.writeRetries = new InspectRetries({ ...retries, sleep: (ms) => recovery.sleep(ms) });
    this.heartbeats = new Heartbeats({ registry, entries, owner, ttlRefreshMs: opts.ttlRefreshMs, parallel: WRITES_PER_CONTAINER, clock, signal, emit });
    const { heartbeats, rejections } = this;
    this.writer = new Writer({ registry, owner, entries, heartbeats, rejections, retryAttempts: opts.retryAttempts, retryIntervalMs: opts.retryIntervalMs, clock, signal, emit, recovery });
    this.resyncs = new Resync({
      docker: this.docker,
      registry,
      owner,
      mapping: opts.mapping,
      cleanup: opts.cleanup,
      concurrency,
      sliceMs: this.sliceMs,
      parallel: WRITES_PER_CONTAINER,
      entries,
      claims: this.claims,
      jobs: this.jobs,
      inspects: this.inspects,
      writer: this.writer,
      inspect: (id) => this.inspect(id),
      push: (key) => this.queue.push(key),
      clock,
      signal,
      emit,
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  private get sliceMs(): number {
    return this.opts.sliceMs ?? DEFAULT_SLICE_MS;
  }

  /**
   * Starts the event, resync and heartbeat loops. Resolves after the first full reconcile: every running container
   * inspected and its writes tried once (what failed is retried on that container's own timer).
   */
  async start(): Promise<void> {
    const first = new Promise<void>((resolve) => {
      this.loops.push(this.eventLoop(resolve));
    });
    if (this.opts.resyncMs > 0) this.loops.push(this.every(this.opts.resyncMs, () => this.resync()));
    // As often as the shortest heartbeat period: a 1 s TTL (the minimum) is beaten every 500 ms, not every tick of a
    // 1 s loop, which let it expire between two beats.
    this.loops.push(this.every(MIN_HEARTBEAT_MS, () => this.heartbeats.tick(), true));
    await first;
  }

  /**
   * Stops all loops and, with `deregisterAll`, removes every entry of this owner — all within `timeoutMs`: what is
   * not removed by then is reported in the "stopped" event (left for the next start or `--cleanup`).
   */
  async stop(opts: { deregisterAll: boolean; timeoutMs?: number }): Promise<{ deregistered: number; left: string[] }> {
    const deadline = this.clock.now() + (opts.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    const remaining = () => Math.max(0, deadline - this.clock.now());
    this.abort.abort();
    const drained = await settlesWithin(this.clock, remaining(), Promise.allSettled(this.loops).then(() => this.queue.idle()));
    let result = { deregistered: 0, left: [] as string[], finished: true };
    if (opts.deregisterAll) {
      result = await removeAllWithin({
        registry: this.registry,
        owner: this.opts.owner,
        known: [...this.entries.all(), ...this.entries.uncertain()],
        parallel: this.opts.concurrency * WRITES_PER_CONTAINER,
        clock: this.clock,
        deadline,
        emit: this.emit,
      });
    }
    const { deregistered, left } = result;
    this.emit({ type: "stopped", deregistered, left, timedOut: !drained || !result.finished || left.length > 0 });
    return { deregistered, left };
  }

  /** Waits until no container sync is queued or running (tests, benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Full reconcile: every running container against everything the backend holds for this owner (see resync.ts). */
  resync(): Promise<void> {
    return this.resyncs.run();
  }

  /**
   * Containers waiting for an ID this container let go are synced once its job is done: its deregister is then
   * written, so theirs cannot race it (a takeover written first and deleted by the old holder's deregister after).
   */
  private wake(containerId: string, result: JobResult): JobResult {
    for (const c of this.jobs.ended(containerId, result)) void this.queue.push(c);
    return result;
  }

  /** One container's slice of work: inspect (or the resync's inspect), diff against what it holds, write. */
  private async syncContainer(containerId: string): Promise<JobResult> {
    const sliceEnd = this.clock.now() + this.sliceMs;
    const work = await this.nextWork(containerId);
    if (!work) return "done";
    const { ops, origins } = work;
    for (let n = 0; n < ops.length; n += WRITES_PER_CONTAINER) {
      if (this.signal.aborted) return "done";
      if (n > 0 && this.clock.now() >= sliceEnd) {
        this.jobs.yielded(containerId, { ops: ops.slice(n), origins });
        return "yield";
      }
      // One attempt each: a write that fails is retried by requeueing the whole container on its own timer (a
      // fresh plan then holds exactly what is still missing), never by sleeping here with a queue slot held.
      const attempt = this.writeRetries.attempt(containerId);
      const results = await Promise.all(ops.slice(n, n + WRITES_PER_CONTAINER).map((op) => this.writer.apply(op, origins, 1, attempt)));
      if (results.includes("failed")) {
        if (!this.signal.aborted) this.writeRetries.failed(containerId);
        return "done";
      }
    }
    this.writeRetries.cleared(containerId);
    return "done";
  }

  /** What a slice applies: the rest of the job's yielded plan, else a plan from the resync's inspect or a fresh one. */
  private async nextWork(containerId: string): Promise<ContainerPlan | undefined> {
    const start = this.jobs.take(containerId);
    if (start.state === "yielded") return start.plan;
    const inspection = start.state === "prefetched" ? ({ type: "answered", info: start.info } as const) : await this.inspect(containerId);
    return inspection.type === "answered" ? this.planContainer(containerId, inspection.info) : undefined;
  }

  /** The writes that make the backend match one container (undefined: gone, ContainerInfo: as inspected): map, diff. */
  private planContainer(containerId: string, info: ContainerInfo | undefined): ContainerPlan | undefined {
    const { desired, origins } = this.desiredFor(containerId, info);
    const mine = (i: Instance) => belongsTo(i, containerId, info, this.opts.owner) || origins.has(i.id);
    const wanted = new Set(desired.map((i) => i.id));
    // A failed register write that may have landed, and that the container no longer wants, is removed too.
    const current = [...this.entries.all().filter(mine), ...this.entries.uncertain().filter((i) => mine(i) && !wanted.has(i.id))];
    if (!info || (!info.State.Running && this.opts.deregister === "on-success" && info.State.ExitCode !== 0)) {
      // Gone, or failed under on-success: keep what it holds (on-success) or remove it (always / destroyed).
      const keep = info !== undefined && !info.State.Running && this.opts.deregister === "on-success";
      for (const c of current) this.entries.retain(c.id, keep);
      if (keep) return undefined;
    } else {
      for (const c of current) this.entries.retain(c.id, false);
    }
    return { ops: plan(desired, current, { mayRemove: () => true }), origins };
  }

  /** What the container should hold: its mapped services minus those whose ID another container on this host holds. */
  private desiredFor(containerId: string, info: ContainerInfo | undefined): { desired: Instance[]; origins: Map<string, Origin> } {
    if (!info) {
      this.rejections.forget(containerId);
      this.jobs.wakeWhenDone(containerId, this.claims.release(containerId, new Set(), true));
      return { desired: [], origins: new Map() };
    }
    const { instances, rejected, origins } = containerToServices(info, this.opts.mapping);
    const desired: Instance[] = [];
    const name = containerName(info);
    for (const i of instances) {
      const holder = this.claims.claim(i.id, containerId, name);
      if (holder === undefined) {
        desired.push(i);
        continue;
      }
      const o = origins.get(i.id);
      origins.delete(i.id);
      rejected.push({ container: name, port: o?.port, key: originKey(o, "id"), reason: `service ID ${JSON.stringify(i.id)} is held by container ${JSON.stringify(holder)} on this host; the first holder keeps it` });
    }
    const gone = !isServing(info);
    this.jobs.wakeWhenDone(containerId, this.claims.release(containerId, new Set(desired.map((i) => i.id)), gone));
    this.rejections.report(containerId, rejected, "mapping");
    return { desired, origins };
  }

  /** One docker inspect; a failure is retried on the container's own schedule; too large: refused once. */
  private async inspect(id: string): Promise<Inspection> {
    try {
      const info = await this.docker.inspect(id, this.signal);
      this.inspects.succeeded(id, info && containerName(info));
      return { type: "answered", info };
    } catch (error) {
      if (this.signal.aborted) return { type: "failed" }; // stopped: the request was aborted, nothing failed
      if (error instanceof ContainerTooLargeError) {
        this.inspects.succeeded(id, undefined);
        this.rejections.report(id, [{ container: id.slice(0, 12), key: "inspect", reason: error.message }], "backend");
        return { type: "answered", info: refusedContainer(id) };
      }
      this.emit({ type: "docker-error", error, attempt: this.inspects.failed(id) });
      return { type: "failed" };
    }
  }

  /** Docker's events, each queueing its container's job; reconnects with backoff, and resyncs after each connect. */
  private async eventLoop(firstReconcileDone: () => void): Promise<void> {
    let since: bigint | undefined;
    for (let attempt = 0; !this.signal.aborted; ) {
      try {
        const stream = await this.docker.events(since, this.signal);
        this.emit({ type: "docker-connected", resumedFromNano: since });
        attempt = 0;
        void this.resync().finally(firstReconcileDone);
        for await (const ev of stream) {
          since = ev.timeNano;
          this.jobs.changed(ev.containerId);
          void this.queue.push(ev.containerId);
        }
        if (this.signal.aborted) break;
        throw new Error("docker event stream ended");
      } catch (error) {
        if (this.signal.aborted) break;
        this.emit({ type: "docker-error", error, attempt });
        await this.clock.sleep(retryDelay(attempt++, this.opts.retryIntervalMs), this.signal);
      }
    }
    firstReconcileDone();
  }

  /** Runs `fn` every `ms` after it finished, or with `fixedRate` every `ms` from its start (at once when it took longer). */
  private async every(ms: number, fn: () => Promise<void>, fixedRate = false): Promise<void> {
    let started = this.clock.now();
    while (!this.signal.aborted) {
      await this.clock.sleep(fixedRate ? Math.max(0, started + ms - this.clock.now()) : ms, this.signal);
      started = this.clock.now();
      if (!this.signal.aborted) await fn().catch(() => {});
    }
  }
}

/** Does this known entry belong to the container? By container id, else by the registrator ID scheme `<owner>:<name>:`. */
function belongsTo(i: Instance, containerId: string, info: ContainerInfo | undefined, owner: string): boolean {
  if (i.container) return i.container.id === containerId;
  const name = info?.Name.replace(/^\//, "");
  return name !== undefined && i.id.startsWith(`${owner}:${name}:`);
}
