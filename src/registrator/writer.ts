// Backend writes of the registrator, one op at a time with retries, and what each write changes in this process's
// view: the known entries, when an entry is beaten next, refusals reported once. Docker reads retry the same way.
import type { Clock } from "../core/clock.js";
import { InstanceRejectedError } from "../core/errors.js";
import type { Registry } from "../core/registry.js";
import { backoff } from "../core/util.js";
import { ContainerTooLargeError } from "../docker/answers.js";
import type { Origin } from "../docker/mapping.js";
import type { KnownEntries } from "./entries.js";
import type { EventSink } from "./events.js";
import { dockerHealthText, type Heartbeats } from "./heartbeat-loop.js";
import type { PlanOp } from "./planner.js";
import type { RejectionLog } from "./rejections.js";
import type { BackendRecovery } from "../core/recovery.js";

export const DEFAULT_RETRY_MAX_MS = 30_000;

/** Delay before retry `attempt`: from --retry-interval, doubling up to DEFAULT_RETRY_MAX_MS, half of it jittered. */
export function retryDelay(attempt: number, retryIntervalMs: number): number {
  return backoff(attempt, { initialMs: retryIntervalMs, maxMs: DEFAULT_RETRY_MAX_MS, jitter: 0.5 });
}

export interface WriterOptions {
  registry: Registry;
  owner: string;
  entries: KnownEntries;
  heartbeats: Heartbeats;
  rejections: RejectionLog;
  /** Attempts per operation; -1 = for ever. */
  retryAttempts: number;
  retryIntervalMs: number;
  clock: Clock;
  signal: AbortSignal;
  emit: EventSink;
  /** Ends backend retries' sleeps when the backend is back (core/recovery.ts). */
  recovery: BackendRecovery;
}

export class Writer {
  /** Writes done so far (the resync event reports its share). */
  private written = 0;

  constructor(private readonly o: WriterOptions) {}

  get writes(): number {
    return this.written;
  }

  /** Applies one op with retries: written, refused (reported, never retried) or failed (given up or stopped). */
  async apply(op: PlanOp, origins?: ReadonlyMap<string, Origin>, attempts = this.o.retryAttempts, firstAttempt = 0): Promise<"written" | "refused" | "failed"> {
    const id = op.type === "register" ? op.instance.id : op.ref.id;
    try {
      if (op.type === "register") this.o.registry.validate(op.instance);
      const write = () =>
        this.write(op, origins).catch((error: unknown) => {
          // A register the backend did not refuse may still be applied, even after a retry and a removal.
          if (op.type === "register" && !(error instanceof InstanceRejectedError)) this.o.entries.mayLand(id, this.o.clock.now());
          throw error;
        });
      const done = await this.retry(op.type, write, id, attempts, firstAttempt);
      if (!done) {
        if (op.type === "register") this.o.entries.registerFailed(op.instance);
        return "failed";
      }
      this.written++;
      return "written";
    } catch (error) {
      if (!(error instanceof InstanceRejectedError)) throw error;
      if (op.type === "register") this.o.rejections.refusedByBackend(op.instance, error, origins);
      else {
        // An entry the backend cannot change (say, an ID it cannot address): reported, forgotten until the next resync.
        this.o.entries.forget(id);
        this.o.emit({ type: "backend-error", op: op.type, id, attempt: 0, error });
      }
      return "refused";
    }
  }

  /**
   * Runs `fn`, retrying transient failures with exponential backoff and jitter. Returns null when given up or
   * stopped. A permanent refusal (InstanceRejectedError) is thrown at once.
   */
  async retry<T>(op: string, fn: () => Promise<T>, id?: string, attempts = this.o.retryAttempts, firstAttempt = 0): Promise<T | null> {
    const { signal, clock, recovery } = this.o;
    const docker = op.startsWith("docker");
    for (let attempt = 0; ; attempt++) {
      try {
        const done = await fn();
        if (!docker) recovery.succeeded();
        return done;
      } catch (error) {
        if (error instanceof InstanceRejectedError || error instanceof ContainerTooLargeError) throw error;
        // Stopped: a request the stop cut short (a Docker request aborted, a backend request failed by the registry's
        // close) is no failure to report, and nothing retries it: "stopped" stays the last event.
        if (signal.aborted) return null;
        this.o.emit(docker ? { type: "docker-error", error, attempt } : { type: "backend-error", op, id, attempt: firstAttempt + attempt, error });
        if (!docker) recovery.failed();
        if (attempts >= 0 && attempt + 1 >= attempts) return null;
        const wait = retryDelay(attempt, this.o.retryIntervalMs);
        await (docker ? clock.sleep(wait, signal) : recovery.sleep(wait));
        if (signal.aborted) return null;
      }
    }
  }

  private async write(op: PlanOp, origins: ReadonlyMap<string, Origin> | undefined): Promise<true> {
    const { registry, owner, entries, heartbeats, emit } = this.o;
    switch (op.type) {
      case "register": {
        // Only an ID mapping computed itself skips the backend's owner read; a SERVICE_ID never does, whatever it looks like.
        await registry.register(op.instance, { defaultId: origins?.get(op.instance.id)?.defaultId === true });
        // The write carried the current health: the next heartbeat is one period away, not at the next tick.
        heartbeats.registered(op.instance, origins?.get(op.instance.id)?.healthOutput);
        entries.registered(op.instance);
        emit({ type: "registered", instance: op.instance, reason: op.reason });
        return true;
      }
      case "deregister":
        await registry.deregister({ ...op.ref, owner });
        entries.deregistered(op.ref.id);
        heartbeats.forget(op.ref.id);
        emit({ type: "deregistered", id: op.ref.id, name: op.ref.name, reason: op.reason });
        return true;
      case "set-health": {
        const output = origins?.get(op.ref.id)?.healthOutput;
        await registry.setHealth({ ...op.ref, owner }, op.health, output ?? dockerHealthText(op.health));
        heartbeats.outputSet(op.ref.id, output);
        entries.healthSet(op.ref.id, op.health);
        emit({ type: "health", id: op.ref.id, name: op.ref.name, health: op.health });
        return true;
      }
    }
  }
}
