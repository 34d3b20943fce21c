// The reconcile loop: Docker events in, a diff against the backend, writes out.
// Effects (docker, registry, clock) are passed in; the diff is the pure planner.
//
// Isolation: every container is its own job in a keyed queue (one at a time per container, `concurrency`
// containers at once). A job works for at most `sliceMs`, then goes to the back of the queue, so a container with
// thousands of ports never delays a small one; a resync only lists, diffs and queues, it never waits on one
// container to start another. A refusal by the backend (InstanceRejectedError) is logged once and never retried
// within a sync; transient failures are retried with backoff and jitter.
import { REAL_CLOCK, settlesWithin, type Clock } from "../core/clock.js";
import { InstanceRejectedError } from "../core/errors.js";
import type { Instance } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { backoff, mapBounded } from "../core/util.js";
import { ContainerTooLargeError, refusedContainer } from "../docker/answers.js";
import type { DockerPort, ContainerInfo } from "../docker/engine.js";
import { containerName, containerToServices, isServing, originKey, type MappingOptions, type Origin } from "../docker/mapping.js";
import { IdClaims } from "./claims.js";
import { BACKLOG_BUDGET_MS, beatRounds, heartbeatPeriod, MIN_HEARTBEAT_MS } from "./heartbeat.js";
import type { EventSink } from "./events.js";
import { InspectRetries } from "./inspect-retries.js";
import { ContainerJobs, type ContainerPlan, type Inspection } from "./jobs.js";
import { plan, type PlanOp } from "./planner.js";
import { RejectionLog } from "./rejections.js";
import { removeAllWithin } from "./shutdown.js";
import { KeyedQueue, type JobResult } from "./queue.js";

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_RESYNC_MS = 30_000;
export const DEFAULT_RETRY_INTERVAL_MS = 1_000;
export const DEFAULT_RETRY_MAX_MS = 30_000;
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

/** Delay before retry `attempt`: from --retry-interval, doubling up to DEFAULT_RETRY_MAX_MS, half of it jittered. */
export function retryDelay(attempt: number, retryIntervalMs: number): number {
  return backoff(attempt, { initialMs: retryIntervalMs, maxMs: DEFAULT_RETRY_MAX_MS, jitter: 0.5 });
}

/** Queue key of the job that removes entries whose container is gone. */
const ORPHANS = "\0orphans";

export class Registrator {
  /** What this process believes the backend holds for `owner`, by id. */
  private readonly known = new Map<string, Instance>();
  /**
   * Ids registered by this process (removed on resync even without --cleanup), with the number of their last
   * register write: a resync leaves alone what was written after it listed Docker (see doResync).
   */
  private readonly registeredHere = new Map<string, number>();
  private registerWrites = 0;
  /** Ids kept because their container failed under --deregister on-success. */
  private readonly retained = new Set<string>();
  private readonly rejections: RejectionLog;
  private readonly nextBeat = new Map<string, number>();
  /** What each container's next job starts from (a resync's inspect, a yielded plan), and whom its end wakes. */
  private readonly jobs = new ContainerJobs();
  /** Entries whose container is gone, for the ORPHANS job: with the register write count when Docker was listed. */
  private readonly orphans = new Map<string, number>();
  private readonly claims = new IdClaims();
  private readonly queue: KeyedQueue;
  private readonly inspects: InspectRetries;
  /** Containers whose writes failed: requeued on their own timers (the same rules as a failing inspect). */
  private readonly writeRetries: InspectRetries;
  private resyncing: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private loops: Promise<unknown>[] = [];
  private writes = 0;

  constructor(
    private readonly docker: DockerPort,
    private readonly registry: Registry,
    private readonly opts: RegistratorOptions,
    private readonly emit: EventSink = () => {},
    private readonly clock: Clock = REAL_CLOCK,
  ) {
    this.rejections = new RejectionLog(emit);
    this.queue = new KeyedQueue((key) => (key === ORPHANS ? this.removeOrphans() : this.syncContainer(key).then((r) => this.wake(key, r))), opts.concurrency);
    const requeue = (id: string) => void this.queue.push(id);
    const retries = { clock, signal: this.abort.signal, attempts: opts.retryAttempts, delay: (n: number) => this.retryDelay(n), requeue };
    this.inspects = new InspectRetries(retries);
    this.writeRetries = new InspectRetries(retries);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
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
    this.loops.push(this.every(MIN_HEARTBEAT_MS, () => this.heartbeat(), true));
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
        known: [...this.known.values()],
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

  /** Full reconcile: every running container against everything the backend holds for this owner. */
  resync(): Promise<void> {
    this.resyncing ??= this.doResync().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private async doResync(): Promise<void> {
    const started = this.clock.now();
    // An entry registered after this point may belong to a container younger than Docker's list below: the list
    // cannot say it is gone (the backend's list, read later, already has it).
    const listedAt = this.registerWrites;
    const ids = await this.retry("docker-list", () => this.docker.listRunning(this.signal));
    if (!ids) return;
    const running = new Set(ids);
    // Claims of containers that went away unseen (events missed while Docker was unreachable) are let go.
    for (const gone of this.claims.holders().filter((c) => !running.has(c))) {
      for (const c of this.claims.release(gone, new Set(), true)) void this.queue.push(c);
    }
    const wanted = new Set<string>();
    const failed = new Set<string>();
    await mapBounded(ids, this.opts.concurrency, async (id) => {
      const inspection = await this.inspect(id);
      if (inspection.type === "failed") return void failed.add(id);
      const { info } = inspection;
      this.jobs.inspected(id, info);
      if (info) for (const i of containerToServices(info, this.opts.mapping).instances) wanted.add(i.id);
    });
    const current = await this.retry("list", () => this.registry.listOwned(this.opts.owner));
    if (!current) return;
    this.known.clear();
    for (const c of current) {
      this.known.set(c.id, c);
      if (c.container && running.has(c.container.id)) this.claims.claim(c.id, c.container.id, c.container.name);
      else if (!wanted.has(c.id) && !this.retained.has(c.id) && !this.inspects.mayHold(c, failed, this.opts.owner) && (this.opts.cleanup || this.registeredHere.has(c.id)) && !this.writtenSince(c.id, listedAt)) this.orphans.set(c.id, listedAt);
    }
    const writesBefore = this.writes;
    const jobs = ids.filter((id) => !failed.has(id)).map((id) => this.queue.push(id));
    if (this.orphans.size > 0) jobs.push(this.queue.push(ORPHANS));
    await Promise.all(jobs);
    this.emit({ type: "resync", durationMs: this.clock.now() - started, containers: ids.length, writes: this.writes - writesBefore });
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
    const sliceEnd = this.clock.now() + (this.opts.sliceMs ?? DEFAULT_SLICE_MS);
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
      const results = await Promise.all(ops.slice(n, n + WRITES_PER_CONTAINER).map((op) => this.apply(op, origins, 1, attempt)));
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
    const current = [...this.known.values()].filter((i) => belongsTo(i, containerId, info, this.opts.owner) || origins.has(i.id));
    if (!info || (!info.State.Running && this.opts.deregister === "on-success" && info.State.ExitCode !== 0)) {
      // Gone, or failed under on-success: keep what it holds (on-success) or remove it (always / destroyed).
      const keep = info !== undefined && !info.State.Running && this.opts.deregister === "on-success";
      for (const c of current) {
        if (keep) this.retained.add(c.id);
        else this.retained.delete(c.id);
      }
      if (keep) return undefined;
    } else {
      for (const c of current) this.retained.delete(c.id);
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


  /** Removes entries whose container is gone, a slice at a time. */
  private async removeOrphans(): Promise<JobResult> {
    const sliceEnd = this.clock.now() + (this.opts.sliceMs ?? DEFAULT_SLICE_MS);
    while (this.orphans.size > 0 && !this.signal.aborted) {
      if (this.clock.now() >= sliceEnd) return "yield";
      const batch = [...this.orphans].slice(0, WRITES_PER_CONTAINER);
      await Promise.all(
        batch.map(async ([id, listedAt]) => {
          this.orphans.delete(id);
          const i = this.known.get(id);
          // Registered again since the resync that found it gone (a container of the same name started): kept.
          if (i && !this.writtenSince(id, listedAt)) await this.apply({ type: "deregister", ref: { id, name: i.name }, reason: "gone" });
        }),
      );
    }
    return "done";
  }

  /** Applies one op with retries: written, refused (reported, never retried) or failed (given up or stopped). */
  private async apply(op: PlanOp, origins?: ReadonlyMap<string, Origin>, attempts = this.opts.retryAttempts, firstAttempt = 0): Promise<"written" | "refused" | "failed"> {
    const id = op.type === "register" ? op.instance.id : op.ref.id;
    try {
      if (op.type === "register") this.registry.validate(op.instance);
      const done = await this.retry(op.type, () => this.write(op, origins), id, attempts, firstAttempt);
      if (!done) return "failed";
      this.writes++;
      return "written";
    } catch (error) {
      if (!(error instanceof InstanceRejectedError)) throw error;
      if (op.type === "register") this.rejections.refusedByBackend(op.instance, error, origins);
      else {
        // An entry the backend cannot change (say, an ID it cannot address): reported, forgotten until the next resync.
        this.known.delete(id);
        this.emit({ type: "backend-error", op: op.type, id, attempt: 0, error });
      }
      return "refused";
    }
  }

  private async write(op: PlanOp, origins: ReadonlyMap<string, Origin> | undefined): Promise<true> {
    switch (op.type) {
      case "register": {
        // Only an ID mapping computed itself skips the backend's owner read; a SERVICE_ID never does, whatever it looks like.
        await this.registry.register(op.instance, { defaultId: origins?.get(op.instance.id)?.defaultId === true });
        // The write carried the current health: the next heartbeat is one period away, not at the next tick.
        const period = heartbeatPeriod(op.instance, this.opts.ttlRefreshMs, this.registry.healthRefreshMs);
        if (period !== undefined) this.nextBeat.set(op.instance.id, this.clock.now() + period);
        this.known.set(op.instance.id, op.instance);
        this.registeredHere.set(op.instance.id, ++this.registerWrites);
        this.emit({ type: "registered", instance: op.instance, reason: op.reason });
        return true;
      }
      case "deregister":
        await this.registry.deregister({ ...op.ref, owner: this.opts.owner });
        this.known.delete(op.ref.id);
        this.registeredHere.delete(op.ref.id);
        this.nextBeat.delete(op.ref.id);
        this.emit({ type: "deregistered", id: op.ref.id, name: op.ref.name, reason: op.reason });
        return true;
      case "set-health": {
        await this.registry.setHealth({ ...op.ref, owner: this.opts.owner }, op.health, `docker health: ${op.health}`);
        const k = this.known.get(op.ref.id);
        if (k) this.known.set(op.ref.id, { ...k, health: op.health });
        this.emit({ type: "health", id: op.ref.id, name: op.ref.name, health: op.health });
        return true;
      }
    }
  }

  /** Was `id` registered by this process after the register write count was `count`? */
  private writtenSince(id: string, count: number): boolean {
    return (this.registeredHere.get(id) ?? 0) > count;
  }

  private retryDelay(attempt: number): number {
    return retryDelay(attempt, this.opts.retryIntervalMs);
  }

  /**
   * Runs `fn`, retrying transient failures with exponential backoff and jitter. Returns null when given up or
   * stopped. A permanent refusal (InstanceRejectedError) is thrown at once.
   */
  private async retry<T>(op: string, fn: () => Promise<T>, id?: string, attempts = this.opts.retryAttempts, firstAttempt = 0): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof InstanceRejectedError || error instanceof ContainerTooLargeError) throw error;
        // Stopped: a Docker request aborted by the stop is no failure to report.
        if (this.signal.aborted && op.startsWith("docker")) return null;
        const event = op.startsWith("docker") ? ({ type: "docker-error", error, attempt } as const) : ({ type: "backend-error", op, id, attempt: firstAttempt + attempt, error } as const);
        this.emit(event);
        if (this.signal.aborted || (attempts >= 0 && attempt + 1 >= attempts)) return null;
        await this.clock.sleep(this.retryDelay(attempt), this.signal);
        if (this.signal.aborted) return null;
      }
    }
  }

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
        await this.clock.sleep(this.retryDelay(attempt++), this.signal);
      }
    }
    firstReconcileDone();
  }

  /**
   * Refreshes the health (and TTLs) of the entries that are due, a few at a time: first one of each container, then
   * the containers' backlogs interleaved for what is left of BACKLOG_BUDGET_MS; the rest stay due for the next tick.
   */
  private async heartbeat(): Promise<void> {
    const now = this.clock.now();
    const periods = new Map<Instance, number>();
    for (const i of this.known.values()) {
      const period = heartbeatPeriod(i, this.opts.ttlRefreshMs, this.registry.healthRefreshMs);
      if (period !== undefined && now >= (this.nextBeat.get(i.id) ?? 0)) periods.set(i, period);
    }
    const [first = [], ...backlog] = beatRounds([...periods.keys()], (i) => i.container?.id ?? i.id, (i) => this.nextBeat.get(i.id) ?? 0);
    const beat = async (i: Instance) => {
      if (this.signal.aborted) return;
      this.nextBeat.set(i.id, now + periods.get(i)!);
      try {
        await this.registry.setHealth({ id: i.id, name: i.name, owner: this.opts.owner }, i.health, `docker health: ${i.health}`);
      } catch (error) {
        this.emit({ type: "backend-error", op: "heartbeat", id: i.id, attempt: 0, error });
      }
    };
    await mapBounded(first, WRITES_PER_CONTAINER, beat);
    await mapBounded(backlog.flat(), WRITES_PER_CONTAINER, async (i) => {
      if (this.clock.now() < now + BACKLOG_BUDGET_MS) await beat(i);
    });
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
