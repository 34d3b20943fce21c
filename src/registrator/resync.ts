// The full reconcile: every running container against everything the backend holds for this owner. It only lists,
// inspects, diffs and queues; the containers' jobs write, and the ORPHANS job removes entries whose container is
// gone. It owns the resync in progress (one at a time) and the entries found orphaned.
import type { Clock } from "../core/clock.js";
import type { Registry } from "../core/registry.js";
import { mapBounded } from "../core/util.js";
import type { DockerPort } from "../docker/engine.js";
import { containerToServices, type MappingOptions } from "../docker/mapping.js";
import type { IdClaims } from "./claims.js";
import type { KnownEntries } from "./entries.js";
import type { EventSink } from "./events.js";
import type { InspectRetries } from "./inspect-retries.js";
import type { ContainerJobs, Inspection } from "./jobs.js";
import type { JobResult } from "./queue.js";
import type { Writer } from "./writer.js";

/** Queue key of the job that removes entries whose container is gone. */
export const ORPHANS = "\0orphans";

export interface ResyncOptions {
  docker: DockerPort;
  registry: Registry;
  owner: string;
  mapping: MappingOptions;
  /** --cleanup: also remove entries of this owner this process did not write (earlier runs). */
  cleanup: boolean;
  concurrency: number;
  sliceMs: number;
  /** Writes in flight at once in the ORPHANS job. */
  parallel: number;
  entries: KnownEntries;
  claims: IdClaims;
  jobs: ContainerJobs;
  inspects: InspectRetries;
  writer: Writer;
  inspect: (containerId: string) => Promise<Inspection>;
  /** Queues a container's job (or ORPHANS); resolves when it is done. */
  push: (key: string) => Promise<void>;
  clock: Clock;
  signal: AbortSignal;
  emit: EventSink;
}

export class Resync {
  private running: Promise<void> | undefined;
  /** Entries whose container is gone, for the ORPHANS job: with the register write count when Docker was listed. */
  private readonly orphans = new Map<string, number>();

  constructor(private readonly o: ResyncOptions) {}

  /** Runs a resync, or joins the one in progress. */
  run(): Promise<void> {
    this.running ??= this.reconcile().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async reconcile(): Promise<void> {
    const { o } = this;
    const started = o.clock.now();
    // An entry registered after this point may belong to a container younger than Docker's list below: the list
    // cannot say it is gone (the backend's list, read later, already has it).
    const listedAt = o.entries.mark();
    const ids = await o.writer.retry("docker-list", () => o.docker.listRunning(o.signal));
    if (!ids) return;
    const running = new Set(ids);
    // Claims of containers that went away unseen (events missed while Docker was unreachable) are let go.
    for (const gone of o.claims.holders().filter((c) => !running.has(c))) {
      for (const c of o.claims.release(gone, new Set(), true)) void o.push(c);
    }
    const wanted = new Set<string>();
    const failed = new Set<string>();
    await mapBounded(ids, o.concurrency, async (id) => {
      const inspection = await o.inspect(id);
      if (inspection.type === "failed") return void failed.add(id);
      const { info } = inspection;
      o.jobs.inspected(id, info);
      if (info) for (const i of containerToServices(info, o.mapping).instances) wanted.add(i.id);
    });
    const current = await o.writer.retry("list", () => o.registry.listOwned(o.owner));
    if (!current) return;
    o.entries.replaceAll(current);
    for (const c of current) {
      if (c.container && running.has(c.container.id)) o.claims.claim(c.id, c.container.id, c.container.name);
      else if (!wanted.has(c.id) && !o.entries.isRetained(c.id) && !o.inspects.mayHold(c, failed, o.owner) && (o.cleanup || o.entries.wasRegisteredHere(c.id, started)) && !o.entries.writtenSince(c.id, listedAt)) this.orphans.set(c.id, listedAt);
    }
    const writesBefore = o.writer.writes;
    const jobs = ids.filter((id) => !failed.has(id)).map((id) => o.push(id));
    if (this.orphans.size > 0) jobs.push(o.push(ORPHANS));
    await Promise.all(jobs);
    o.emit({ type: "resync", durationMs: o.clock.now() - started, containers: ids.length, writes: o.writer.writes - writesBefore });
  }

  /** The ORPHANS job: removes entries whose container is gone, a slice at a time. */
  async removeOrphans(): Promise<JobResult> {
    const { o } = this;
    const sliceEnd = o.clock.now() + o.sliceMs;
    while (this.orphans.size > 0 && !o.signal.aborted) {
      if (o.clock.now() >= sliceEnd) return "yield";
      const batch = [...this.orphans].slice(0, o.parallel);
      await Promise.all(
        batch.map(async ([id, listedAt]) => {
          this.orphans.delete(id);
          const i = o.entries.get(id);
          // Registered again since the resync that found it gone (a container of the same name started): kept.
          if (i && !o.entries.writtenSince(id, listedAt)) await o.writer.apply({ type: "deregister", ref: { id, name: i.name }, reason: "gone" });
        }),
      );
    }
    return "done";
  }
}
