// The one lease a registrator's keys hang on: granted at the first write, kept alive every third of its TTL, and
// granted anew when etcd says it is gone (expired while etcd was out of reach, revoked) — then `onRenewed` lets
// the registry write every entry again under the new one. Time is injected (Clock) so the loop runs on a fake one.
import type { Clock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";

export interface LeaseOps {
  leaseGrant(ttlS: number): Promise<{ id: string; ttlS: number }>;
  /** The lease's remaining TTL in seconds, 0 when etcd no longer has it. */
  leaseKeepAlive(id: string, signal?: AbortSignal): Promise<number>;
}

/** After a failed keep-alive the next one is sent this soon (or at a third of the TTL, if shorter). */
export const KEEPALIVE_RETRY_MS = 1_000;

export class LeaseKeeper {
  private id: string | undefined;
  private granting: Promise<string> | undefined;
  private loop: Promise<void> | undefined;
  private readonly stopped = new AbortController();
  /** Leases granted so far (1 = the first; more = renewals after a loss). */
  grants = 0;

  constructor(
    private readonly ops: LeaseOps,
    private readonly ttlS: number,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onRenewed: () => void,
  ) {}

  /** The lease to attach keys to now, granted first when there is none. */
  current(): Promise<string> {
    if (this.id !== undefined) return Promise.resolve(this.id);
    this.granting ??= this.ops
      .leaseGrant(this.ttlS)
      .then((g) => {
        this.id = g.id;
        this.grants++;
        this.log.debug({ lease: leaseHex(g.id), ttlS: g.ttlS }, "etcd lease granted");
        this.loop ??= this.keepAlive();
        // A lease after the first replaces a lost one: the keys that hung on it are gone.
        if (this.grants > 1) this.onRenewed();
        return g.id;
      })
      .finally(() => {
        this.granting = undefined;
      });
    return this.granting;
  }

  /** The lease held now, if any (no request). */
  get held(): string | undefined {
    return this.id;
  }

  /** etcd said `id` is not found (a write refused): the next current() grants a new lease. */
  forget(id: string): void {
    if (this.id === id) this.id = undefined;
  }

  /** Stops keeping the lease alive (it is not revoked: the keys stay until its TTL runs out, or a successor takes them). */
  async stop(): Promise<void> {
    this.stopped.abort();
    await this.loop;
  }

  private async keepAlive(): Promise<void> {
    const every = (this.ttlS * 1000) / 3;
    let wait = every;
    while (!this.stopped.signal.aborted) {
      await this.clock.sleep(wait, this.stopped.signal);
      if (this.stopped.signal.aborted) return;
      const id = this.id;
      if (id === undefined) {
        // Forgotten after a refused write and not granted again yet: grant it here.
        await this.current().catch(() => undefined);
        wait = this.id === undefined ? Math.min(KEEPALIVE_RETRY_MS, every) : every;
        continue;
      }
      let ttl: number;
      try {
        ttl = await this.ops.leaseKeepAlive(id, this.stopped.signal);
      } catch (err) {
        if (this.stopped.signal.aborted) return;
        this.log.warn({ lease: leaseHex(id), err: err instanceof Error ? err.message : String(err) }, "etcd lease keep-alive failed; retrying");
        wait = Math.min(KEEPALIVE_RETRY_MS, every);
        continue;
      }
      wait = every;
      if (ttl > 0) continue;
      this.log.warn({ lease: leaseHex(id) }, "etcd lease lost (expired or revoked): granting a new one and writing every entry again");
      if (this.id === id) this.id = undefined;
      try {
        await this.current();
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "granting a new etcd lease failed; retrying");
        wait = Math.min(KEEPALIVE_RETRY_MS, every);
      }
    }
  }
}

/** Lease IDs as etcdctl shows them (hex). */
export function leaseHex(id: string): string {
  try {
    return BigInt(id).toString(16);
  } catch {
    return id;
  }
}
