// The reconcile loop: Docker events in, a diff against the backend, writes out.
// Effects (docker, registry, clock) are passed in; the diff is the pure planner.
import type { Instance } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { backoff, delay, mapBounded } from "../core/util.js";
import type { DockerPort, ContainerInfo } from "../docker/engine.js";
import { containerToServices, type MappingOptions } from "../docker/mapping.js";
import type { EventSink } from "./events.js";
import { plan, type PlanOp } from "./planner.js";
import { KeyedQueue } from "./queue.js";

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_RESYNC_MS = 30_000;
export const DEFAULT_RETRY_INTERVAL_MS = 1_000;
export const DEFAULT_RETRY_MAX_MS = 30_000;

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
}

export class Registrator {
  /** What this process believes the backend holds for `owner`, by id. */
  private readonly known = new Map<string, Instance>();
  /** Ids registered by this process: removed on resync even without --cleanup. */
  private readonly registeredHere = new Set<string>();
  /** Ids kept because their container failed under --deregister on-success. */
  private readonly retained = new Set<string>();
  /** Last rejection reason per container and key: each is logged once, not on every resync. */
  private readonly lastRejections = new Map<string, Map<string, string>>();
  private readonly nextBeat = new Map<string, number>();
  private readonly queue: KeyedQueue;
  private resyncing: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private loops: Promise<unknown>[] = [];

  constructor(
    private readonly docker: DockerPort,
    private readonly registry: Registry,
    private readonly opts: RegistratorOptions,
    private readonly emit: EventSink = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.queue = new KeyedQueue((id) => this.syncContainer(id), opts.concurrency);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Starts the event, resync and heartbeat loops. Resolves after the first full reconcile. */
  async start(): Promise<void> {
    const first = new Promise<void>((resolve) => {
      this.loops.push(this.eventLoop(resolve));
    });
    if (this.opts.resyncMs > 0) this.loops.push(this.every(this.opts.resyncMs, () => this.resync()));
    this.loops.push(this.every(1_000, () => this.heartbeat()));
    await first;
  }

  /** Stops all loops; with `deregisterAll`, removes every entry this process knows of. */
  async stop(opts: { deregisterAll: boolean }): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    await this.queue.idle();
    if (opts.deregisterAll) {
      const current = await this.registry.listOwned(this.opts.owner).catch(() => [...this.known.values()]);
      for (const i of current) await this.apply({ type: "deregister", ref: { id: i.id, name: i.name }, reason: "gone" }, 3);
    }
  }

  /** Waits until no container sync is queued or running (tests, benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Full reconcile: every running container against everything the backend holds for this owner. */
  resync(): Promise<void> {
    this.resyncing ??= this.queue
      .exclusive(() => this.doResync())
      .finally(() => {
        this.resyncing = undefined;
      });
    return this.resyncing;
  }

  private async doResync(): Promise<void> {
    const started = this.now();
    const ids = await this.retry("docker-list", () => this.docker.listRunning());
    if (!ids) return;
    const infos = await mapBounded(ids, this.opts.concurrency, (id) => this.retry("docker-inspect", () => this.docker.inspect(id)));
    const desired = infos.flatMap((info) => (info ? this.desiredFor(info) : []));
    const current = await this.retry("list", () => this.registry.listOwned(this.opts.owner));
    if (!current) return;
    this.known.clear();
    for (const c of current) this.known.set(c.id, c);
    const ops = plan(desired, current, {
      mayRemove: (c) => !this.retained.has(c.id) && (this.opts.cleanup || this.registeredHere.has(c.id)),
    });
    const written = await mapBounded(ops, this.opts.concurrency, (op) => this.apply(op));
    const writes = written.filter(Boolean).length;
    this.emit({ type: "resync", durationMs: this.now() - started, containers: ids.length, writes });
  }

  private async syncContainer(containerId: string): Promise<void> {
    const info = await this.retry("docker-inspect", () => this.docker.inspect(containerId));
    if (info === null) return;
    const current = [...this.known.values()].filter((i) => belongsTo(i, containerId, info, this.opts.owner));
    let desired: Instance[];
    if (!info) {
      desired = [];
      for (const c of current) this.retained.delete(c.id);
      this.lastRejections.delete(containerId);
    } else if (!info.State.Running && this.opts.deregister === "on-success" && info.State.ExitCode !== 0) {
      desired = current;
      for (const c of current) this.retained.add(c.id);
    } else {
      desired = this.desiredFor(info);
      for (const c of current) this.retained.delete(c.id);
    }
    for (const op of plan(desired, current, { mayRemove: () => true })) await this.apply(op);
  }

  private desiredFor(info: ContainerInfo): Instance[] {
    const { instances, rejected } = containerToServices(info, this.opts.mapping);
    let seen = this.lastRejections.get(info.Id);
    for (const r of rejected) {
      const key = `${r.port ?? ""}\0${r.key}`;
      if (seen?.get(key) === r.reason) continue;
      if (!seen) this.lastRejections.set(info.Id, (seen = new Map()));
      seen.set(key, r.reason);
      this.emit({ type: "rejected", rejection: r });
    }
    return instances;
  }

  /** Applies one op with retries; true when it was written. */
  private async apply(op: PlanOp, attempts = this.opts.retryAttempts): Promise<boolean> {
    const done = await this.retry(
      op.type,
      async () => {
        switch (op.type) {
          case "register":
            await this.registry.register(op.instance);
            this.known.set(op.instance.id, op.instance);
            this.registeredHere.add(op.instance.id);
            this.emit({ type: "registered", instance: op.instance, reason: op.reason });
            return true;
          case "deregister":
            await this.registry.deregister(op.ref);
            this.known.delete(op.ref.id);
            this.registeredHere.delete(op.ref.id);
            this.nextBeat.delete(op.ref.id);
            this.emit({ type: "deregistered", id: op.ref.id, name: op.ref.name, reason: op.reason });
            return true;
          case "set-health": {
            await this.registry.setHealth(op.ref, op.health, `docker health: ${op.health}`);
            const k = this.known.get(op.ref.id);
            if (k) this.known.set(op.ref.id, { ...k, health: op.health });
            this.emit({ type: "health", id: op.ref.id, name: op.ref.name, health: op.health });
            return true;
          }
        }
      },
      op.type === "register" ? op.instance.id : op.ref.id,
      attempts,
    );
    return done === true;
  }

  /** Delay before retry `attempt`: from --retry-interval, doubling up to DEFAULT_RETRY_MAX_MS, half of it jittered. */
  private retryDelay(attempt: number): number {
    return backoff(attempt, { initialMs: this.opts.retryIntervalMs, maxMs: DEFAULT_RETRY_MAX_MS, jitter: 0.5 });
  }

  /** Runs `fn`, retrying with exponential backoff and jitter. Returns null when given up or stopped. */
  private async retry<T>(op: string, fn: () => Promise<T>, id?: string, attempts = this.opts.retryAttempts): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const event = op.startsWith("docker") ? ({ type: "docker-error", error, attempt } as const) : ({ type: "backend-error", op, id, attempt, error } as const);
        this.emit(event);
        if (this.signal.aborted || (attempts >= 0 && attempt + 1 >= attempts)) return null;
        await delay(this.retryDelay(attempt), this.signal);
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
          this.queue.push(ev.containerId);
        }
        if (this.signal.aborted) break;
        throw new Error("docker event stream ended");
      } catch (error) {
        if (this.signal.aborted) break;
        this.emit({ type: "docker-error", error, attempt });
        await delay(this.retryDelay(attempt++), this.signal);
      }
    }
    firstReconcileDone();
  }

  private async heartbeat(): Promise<void> {
    const now = this.now();
    for (const i of this.known.values()) {
      const period = this.opts.ttlRefreshMs ?? minDefined(halfSmallestTtl(i), this.registry.healthRefreshMs);
      if (period === undefined) continue;
      const due = this.nextBeat.get(i.id) ?? 0;
      if (now < due) continue;
      this.nextBeat.set(i.id, now + period);
      try {
        await this.registry.setHealth({ id: i.id, name: i.name }, i.health, `docker health: ${i.health}`);
      } catch (error) {
        this.emit({ type: "backend-error", op: "heartbeat", id: i.id, attempt: 0, error });
      }
    }
  }

  private async every(ms: number, fn: () => Promise<void>): Promise<void> {
    while (!this.signal.aborted) {
      await delay(ms, this.signal);
      if (!this.signal.aborted) await fn().catch(() => {});
    }
  }
}

function minDefined(...xs: Array<number | undefined>): number | undefined {
  const ds = xs.filter((x): x is number => x !== undefined);
  return ds.length ? Math.min(...ds) : undefined;
}

function halfSmallestTtl(i: Instance): number | undefined {
  const ttls = i.checks.filter((c) => c.type === "ttl" && c.intervalMs).map((c) => c.intervalMs!);
  return ttls.length ? Math.max(500, Math.min(...ttls) / 2) : undefined;
}

/** Does this known entry belong to the container? By container id, else by the registrator ID scheme `<owner>:<name>:`. */
function belongsTo(i: Instance, containerId: string, info: ContainerInfo | undefined, owner: string): boolean {
  if (i.container) return i.container.id === containerId;
  const name = info?.Name.replace(/^\//, "");
  return name !== undefined && i.id.startsWith(`${owner}:${name}:`);
}
