// What each container's next job starts from, and whom its end wakes: a small state machine per container.
//
//   fresh ──resync inspected──▶ prefetched ──job takes it──▶ fresh
//     ▲  ◀──────────────event (any state)──────────────────────┘
//     └──job takes it── yielded ◀──job yields (time slice used up, writes left)
//
// fresh: the job inspects the container. prefetched: a resync already has the inspect answer, the job uses it once.
// yielded: the job applies the rest of its plan as it is. An event (the container changed) or a resync's fresher
// answer drops a yielded plan. Apart from that state, a container whose job let an ID go holds the containers
// waiting for it: they are woken when that job is done (its deregister then written), never before.
import type { ContainerInfo } from "../docker/engine.js";
import type { Origin } from "../docker/mapping.js";
import type { PlanOp } from "./planner.js";
import type { JobResult } from "./queue.js";

/** Writes that make the backend match one container, and where each of its instances came from. */
export interface ContainerPlan {
  ops: PlanOp[];
  origins: Map<string, Origin>;
}

/** One `docker inspect`: answered (undefined: the container is gone), or failed (retried on the container's timer). */
export type Inspection = { type: "answered"; info: ContainerInfo | undefined } | { type: "failed" };

/** What a container's job starts from. */
export type JobStart = { state: "fresh" } | { state: "prefetched"; info: ContainerInfo | undefined } | { state: "yielded"; plan: ContainerPlan };

const FRESH: JobStart = { state: "fresh" };

export class ContainerJobs {
  /** Containers not fresh; a fresh one has no entry. */
  private readonly starts = new Map<string, Exclude<JobStart, { state: "fresh" }>>();
  /** Containers to sync once this container's job is done (they wait for an ID it let go). */
  private readonly toWake = new Map<string, Set<string>>();

  /** A resync inspected the container: its next job uses this answer (fresher than any yielded plan). */
  inspected(containerId: string, info: ContainerInfo | undefined): void {
    this.starts.set(containerId, { state: "prefetched", info });
  }

  /** An event: the container changed, its next job inspects it again. */
  changed(containerId: string): void {
    this.starts.delete(containerId);
  }

  /** The job starts: what it starts from, used once (the container is fresh again). */
  take(containerId: string): JobStart {
    const s = this.starts.get(containerId) ?? FRESH;
    this.starts.delete(containerId);
    return s;
  }

  /** The job used up its slice: its next slice applies `plan` as it is. */
  yielded(containerId: string, plan: ContainerPlan): void {
    this.starts.set(containerId, { state: "yielded", plan });
  }

  /** The containers in `waiting` are synced when this container's job is done. */
  wakeWhenDone(containerId: string, waiting: Iterable<string>): void {
    const set = this.toWake.get(containerId) ?? new Set<string>();
    for (const c of waiting) set.add(c);
    if (set.size > 0) this.toWake.set(containerId, set);
  }

  /** The job ended a run: when done (not yielded), the containers to wake now. */
  ended(containerId: string, result: JobResult): string[] {
    if (result !== "done") return [];
    const waiting = this.toWake.get(containerId);
    this.toWake.delete(containerId);
    return [...(waiting ?? [])];
  }
}
