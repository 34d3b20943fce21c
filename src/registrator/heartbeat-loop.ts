// The heartbeat loop's tick: refreshes the health (and TTLs) of the known entries that are due. It owns when each
// entry is due next; the rules (period, rounds, backlog budget) are the pure functions of heartbeat.ts.
import type { Clock } from "../core/clock.js";
import type { Health, Instance } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { mapBounded } from "../core/util.js";
import type { KnownEntries } from "./entries.js";
import type { EventSink } from "./events.js";
import { BACKLOG_BUDGET_MS, beatRounds, heartbeatPeriod } from "./heartbeat.js";

/** A health write's output when the container's probe said nothing (or it has no HEALTHCHECK). */
export function dockerHealthText(health: Health): string {
  return `docker health: ${health}`;
}

export interface HeartbeatOptions {
  registry: Registry;
  entries: KnownEntries;
  owner: string;
  /** --ttl-refresh; unset = each TTL check at half its TTL. */
  ttlRefreshMs: number | undefined;
  /** Beats in flight at once. */
  parallel: number;
  clock: Clock;
  signal: AbortSignal;
  emit: EventSink;
}

export class Heartbeats {
  /** When each entry is due next (absent: due now). */
  private readonly nextBeat = new Map<string, number>();
  /** The output of each entry's container's last HEALTHCHECK probe, as last written: every beat repeats it. */
  private readonly outputs = new Map<string, string>();

  constructor(private readonly o: HeartbeatOptions) {}

  /** How often `i` is beaten; undefined: never. */
  period(i: Instance): number | undefined {
    return heartbeatPeriod(i, this.o.ttlRefreshMs, this.o.registry.healthRefreshMs);
  }

  /** A fresh registration carried the current health: its next beat is one period away, not at the next tick (but see below). */
  registered(i: Instance, output: string | undefined): void {
    this.outputSet(i.id, output);
    // A registration writes no check output: a container's probe output goes out with the next tick's beat.
    if (output !== undefined) return void this.nextBeat.delete(i.id);
    const period = this.period(i);
    if (period !== undefined) this.nextBeat.set(i.id, this.o.clock.now() + period);
  }

  /** The probe output a health write carried (none: the beats say only the health). */
  outputSet(id: string, output: string | undefined): void {
    if (output === undefined) this.outputs.delete(id);
    else this.outputs.set(id, output);
  }

  forget(id: string): void {
    this.nextBeat.delete(id);
    this.outputs.delete(id);
  }

  /**
   * Refreshes the health (and TTLs) of the entries that are due, a few at a time: first one of each container, then
   * the containers' backlogs interleaved for what is left of BACKLOG_BUDGET_MS; the rest stay due for the next tick.
   */
  async tick(): Promise<void> {
    const { clock, signal, registry, owner, parallel } = this.o;
    const now = clock.now();
    const periods = new Map<Instance, number>();
    for (const i of this.o.entries.all()) {
      const period = this.period(i);
      if (period !== undefined && now >= (this.nextBeat.get(i.id) ?? 0)) periods.set(i, period);
    }
    const [first = [], ...backlog] = beatRounds([...periods.keys()], (i) => i.container?.id ?? i.id, (i) => this.nextBeat.get(i.id) ?? 0);
    const beat = async (i: Instance) => {
      if (signal.aborted) return;
      this.nextBeat.set(i.id, now + periods.get(i)!);
      try {
        await registry.setHealth({ id: i.id, name: i.name, owner }, i.health, this.outputs.get(i.id) ?? dockerHealthText(i.health));
      } catch (error) {
        if (!signal.aborted) this.o.emit({ type: "backend-error", op: "heartbeat", id: i.id, attempt: 0, error });
      }
    };
    await mapBounded(first, parallel, beat);
    await mapBounded(backlog.flat(), parallel, async (i) => {
      if (clock.now() < now + BACKLOG_BUDGET_MS) await beat(i);
    });
  }
}
