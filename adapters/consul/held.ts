// What this process registered on its agent, and what to do when that agent restarts.
//
// A Consul agent keeps its services and checks in its data dir, but a TTL check whose status was never updated
// (PUT /v1/agent/check/update persists it) is restored critical: an entry younger than one heartbeat drops out of
// DNS until the next heartbeat or resync. The agent's HTTP server never closes an idle keep-alive connection while
// it runs (no idle timeout), so an idle connection it closes means it stopped: no request is spent to notice. Once
// it answers again, every entry not heartbeated since it was registered is heartbeated at once, and an entry the
// agent no longer knows (restarted without its data) is registered again.
import type { Clock } from "../../src/core/clock.js";
import { REAL_CLOCK } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";
import type { Health } from "../../src/core/model.js";
import { backoff, mapBounded, type BackoffOptions } from "../../src/core/util.js";
import { ConsulRequestError } from "./errors.js";
import type { ConsulServiceRegistration } from "./types.js";

interface HeldEntry {
  registration: ConsulServiceRegistration;
  status: Health;
  output: string;
  /** A heartbeat was accepted since the registration: the agent keeps the check's status across a restart. */
  beaten: boolean;
}

export interface HeldDeps {
  /** Resolves when the agent answers and has a leader (GET /v1/status/leader); throws otherwise. */
  answers: () => Promise<void>;
  /** The heartbeat of one entry (setHealth: an entry the agent lost is registered again there). */
  heartbeat: (id: string, status: Health, output: string) => Promise<void>;
  logger: Logger;
  /** Aborted when the registry closes. */
  signal: AbortSignal;
  clock?: Clock;
  backoff?: BackoffOptions;
}

/** Heartbeats (or registrations) in flight at once after a restart. */
export const RECOVER_CONCURRENCY = 16;
/** How long a stopped agent is waited for before the recovery is left to the registrator's resync. */
export const RECOVER_WAIT_MS = 120_000;
const WAIT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 500, jitter: 0.2 };

/** A 404 to a check update: the agent does not know the check (nor, then, its service). */
export function isUnknownCheck(e: unknown): boolean {
  return e instanceof ConsulRequestError && e.status === 404;
}

/** The registration with its portolan health check set to `status`. */
export function withHealth(reg: ConsulServiceRegistration, checkId: string, status: Health): ConsulServiceRegistration {
  return { ...reg, Checks: reg.Checks.map((c) => (c.CheckID === checkId ? { ...c, Status: status } : c)) };
}

export class HeldEntries {
  private readonly entries = new Map<string, HeldEntry>();
  private recovering: Promise<void> | undefined;
  /** Agent restarts noticed (for tests and logs). */
  restarts = 0;

  constructor(private readonly deps: HeldDeps) {}

  registered(registration: ConsulServiceRegistration, status: Health): void {
    this.entries.set(registration.ID, { registration, status, output: "", beaten: false });
  }

  beaten(id: string, status: Health, output: string): void {
    const e = this.entries.get(id);
    if (e) Object.assign(e, { status, output, beaten: true });
  }

  removed(id: string): void {
    this.entries.delete(id);
  }

  /** The registration last written for `id`, with its health check at `status` (default: the last set); undefined when not held. */
  registrationOf(id: string, checkId: string, status?: Health): ConsulServiceRegistration | undefined {
    const e = this.entries.get(id);
    return e && withHealth(e.registration, checkId, status ?? e.status);
  }

  /** The agent closed an idle connection: it stopped. Recovers once it answers again (one recovery at a time). */
  agentGone(): void {
    if (this.deps.signal.aborted || this.entries.size === 0) return;
    this.restarts++;
    this.recovering ??= this.recover().finally(() => {
      this.recovering = undefined;
    });
  }

  /** Resolves when the current recovery (if any) is over. */
  settled(): Promise<void> {
    return this.recovering ?? Promise.resolve();
  }

  private async recover(): Promise<void> {
    const { logger, signal } = this.deps;
    const clock = this.deps.clock ?? REAL_CLOCK;
    const until = clock.now() + RECOVER_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) return;
      try {
        await this.deps.answers();
        break;
      } catch {
        if (clock.now() >= until) {
          logger.warn({ waitedMs: RECOVER_WAIT_MS }, "consul agent closed our connections and did not answer again; the resync will catch up");
          return;
        }
        await clock.sleep(backoff(attempt, this.deps.backoff ?? WAIT_BACKOFF), signal);
      }
    }
    const young = [...this.entries].filter(([, e]) => !e.beaten);
    logger.info({ entries: young.length }, "consul agent restarted: heartbeating the entries it may have restored critical");
    await mapBounded(young, RECOVER_CONCURRENCY, async ([id, e]) => {
      if (signal.aborted || this.entries.get(id) !== e) return; // deregistered or registered again meanwhile
      try {
        await this.deps.heartbeat(id, e.status, e.output);
      } catch (err) {
        logger.warn({ id, err: (err as Error).message }, "heartbeat after the agent's restart failed; the resync will catch up");
      }
    });
  }
}
