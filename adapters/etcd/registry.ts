// The Registry port on etcd v3, in the layout CoreDNS's etcd plugin reads (layout.ts). Every key this process
// writes hangs on its one lease (lease.ts): when the process dies its entries go within the lease TTL, as
// ZooKeeper ephemerals do. Writes and deletes are transactions guarded by what was read (absent, or still at the
// mod revision whose value names our owner), so an entry another owner holds is never replaced or removed.
import { REAL_CLOCK, type Clock } from "../../src/core/clock.js";
import { BackendUnavailableError, InstanceRejectedError } from "../../src/core/errors.js";
import { silentLogger, type Logger } from "../../src/core/log.js";
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import { DNS_LABEL, isPassing } from "../../src/core/model.js";
import type { Registry, RegistryAccess } from "../../src/core/registry.js";
import { backoff, mapBounded } from "../../src/core/util.js";
import { heldBy, instanceProblem } from "../../src/core/validate.js";
import { EtcdClient, type KeyValue } from "./client.js";
import { EtcdRequestError } from "./errors.js";
import { baseOf, containerOfValue, decodeValue, encodeValue, keyOf, ownerOfValue, ownerSegmentPrefix, srvMetaProblem, type Layout } from "./layout.js";
import { LeaseKeeper, leaseHex } from "./lease.js";
import { resolveOptions, type EtcdOptions } from "./options.js";
import { watchCatalog, type WatchStats } from "./watch.js";

/** Meta key added to an entry of ours that is not on this process's lease (a previous run's): it never equals a desired instance, so it is written again. */
export const META_LEASE = "etcd.lease";
/** Values read in one transaction by listOwned (etcd's default --max-txn-ops is 128). */
const READ_BATCH = 100;
/** Entries written at once after the lease was lost. */
const RESTORE_CONCURRENCY = 16;
/** Attempts of one guarded write racing other writers before it is reported as unavailable. */
const GUARDED_ATTEMPTS = 5;

interface OwnedRecord {
  instance: Instance;
  value: string;
}

const recordKey = (ref: { name: string; id: string }) => `${ref.name}/${ref.id}`;

export class EtcdRegistry implements Registry {
  readonly kind = "etcd";
  private readonly client: EtcdClient;
  private readonly layout: Layout;
  private readonly base: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  readonly leases: LeaseKeeper;
  private readonly records = new Map<string, OwnedRecord>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly closing = new AbortController();
  /** Full reads and streams of every watch() of this registry (tests, benchmarks). */
  readonly watchStats: WatchStats = { ranges: 0, streams: 0 };

  constructor(opts: EtcdOptions) {
    const o = resolveOptions(opts);
    const base = opts.logger ?? silentLogger();
    this.log = base.bindings().component === "etcd" ? base : base.child({ component: "etcd" });
    this.clock = opts.clock ?? REAL_CLOCK;
    this.layout = { prefix: o.prefix, zone: o.zone, ttlS: o.ttlS };
    this.base = baseOf(this.layout);
    this.client = new EtcdClient({ ...o.connection, logger: this.log, base: this.base });
    this.leases = new LeaseKeeper(this.client, o.leaseTtlS, this.clock, this.log, () => void this.restoreAll());
  }

  get authFailures(): number {
    return this.client.auth.count;
  }

  /**
   * Backend-independent rules, then: an ID that is one path segment (no "/", not "." or ".."; escaping could carry
   * them, but Consul and ZooKeeper cannot, and a SERVICE_ID must mean the same on every backend), and
   * `priority`/`weight` meta that CoreDNS can serve as SRV fields.
   */
  validate(instance: Instance): void {
    const problem = instanceProblem(this.kind, instance);
    if (problem) throw problem;
    if (instance.id.includes("/") || instance.id === "." || instance.id === "..") {
      throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, key: "id", reason: 'an ID must be one path segment: no "/", not "." or ".."' });
    }
    const srv = srvMetaProblem(instance.meta);
    if (srv) throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, key: srv.key, reason: srv.reason });
  }

  async register(instance: Instance): Promise<void> {
    this.validate(instance);
    const inst = structuredClone(instance);
    const key = recordKey(inst);
    const rec: OwnedRecord = { instance: inst, value: encodeValue(inst, this.layout.ttlS) };
    this.records.set(key, rec);
    const write = () => (isPassing(inst) ? this.ensure(rec) : this.removeGuarded(inst, inst.owner));
    await this.serial(key, write).catch((e: unknown) => {
      // Refused for good (another owner holds the ID): this process does not hold it either.
      if (e instanceof InstanceRejectedError && this.records.get(key) === rec) this.records.delete(key);
      throw e;
    });
    // One entry per ID (the registrator keys on IDs): the same ID under another name is that service renamed.
    const renamed = [...this.records.values()].filter((r) => r.instance.id === inst.id && r.instance.name !== inst.name);
    for (const { instance } of renamed) await this.deregister(instance);
  }

  async deregister(ref: InstanceRef): Promise<void> {
    if (!DNS_LABEL.test(ref.name)) return; // never written: no key to build from it
    await this.serial(recordKey(ref), async () => {
      this.records.delete(recordKey(ref));
      if (ref.owner === undefined) await this.client.delete(keyOf(this.layout, ref));
      else await this.removeGuarded(ref, ref.owner);
    });
  }

  async setHealth(ref: InstanceRef, status: Health, _output: string): Promise<void> {
    const key = recordKey(ref);
    await this.serial(key, async () => {
      const rec = this.records.get(key);
      if (!rec || rec.instance.health === status) return;
      rec.instance = { ...rec.instance, health: status };
      rec.value = encodeValue(rec.instance, this.layout.ttlS);
      if (status === "passing") await this.ensure(rec);
      else await this.removeGuarded(ref, rec.instance.owner);
    });
  }

  /**
   * Start-up probe: etcd accepts our credentials (user and password, client certificate) and lets them read (and for
   * write, write) the whole key range under the zone. Nothing is written.
   */
  async checkAccess(access: RegistryAccess): Promise<void> {
    await this.client.probe(this.base, access === "write");
  }

  /**
   * `owner`'s entries as etcd holds them: the keys under the zone (keys only), then the values of those whose ID
   * segment starts with the owner's (`<owner>:…`) or that this process wrote, in transactions of reads. An entry
   * comes back exactly as registered only when it holds the bytes written and hangs on the current lease; another
   * of `owner`'s (a previous run's, changed behind our back) comes back with meta `etcd.lease`, so it is written again.
   */
  async listOwned(owner: string): Promise<Instance[]> {
    const mine = new Map<string, OwnedRecord>();
    for (const rec of this.records.values()) mine.set(keyOf(this.layout, rec.instance), rec);
    const start = ownerSegmentPrefix(owner);
    const { kvs } = await this.client.rangePrefix(this.base, true);
    const candidates = kvs.map((kv) => kv.key).filter((k) => mine.has(k) || (k.slice(k.lastIndexOf("/") + 1).startsWith(start)));
    const values: KeyValue[] = [];
    for (let i = 0; i < candidates.length; i += READ_BATCH) values.push(...(await this.client.getMany(candidates.slice(i, i + READ_BATCH))));
    const found = new Map<string, Instance>();
    const lease = this.leases.held;
    for (const kv of values) {
      const d = decodeValue(this.layout, kv.key, kv.value);
      if (!d.ok || d.instance.owner !== owner) continue;
      const rec = mine.get(kv.key);
      const exact = rec && isPassing(rec.instance) && kv.lease === lease && kv.value === rec.value;
      found.set(recordKey(d.instance), exact ? structuredClone(rec.instance) : { ...d.instance, meta: { ...d.instance.meta, [META_LEASE]: leaseHex(kv.lease) } });
    }
    // Held back (not passing, so absent from etcd) but known here: report them so callers do not loop.
    for (const [key, rec] of this.records) {
      if (rec.instance.owner === owner && !isPassing(rec.instance) && !found.has(key)) found.set(key, structuredClone(rec.instance));
    }
    return [...found.values()];
  }

  /** The member answers and knows a leader (maintenance status: constant cost, no permission needed). */
  async ping(signal?: AbortSignal): Promise<void> {
    const leader = await this.client.status(signal);
    if (leader === "0") throw new BackendUnavailableError({ backend: this.kind, message: `${this.client.endpoint}: the member answers but its cluster has no leader` });
  }

  watch(signal?: AbortSignal): AsyncIterable<CatalogSnapshot> {
    const stop = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    return watchCatalog(this.client, { layout: this.layout, base: this.base, logger: this.log, clock: this.clock }, stop, this.watchStats);
  }

  /** Stops the keep-alives; the lease is not revoked (entries stay until its TTL runs out unless deregistered first). */
  async close(): Promise<void> {
    this.closing.abort();
    await this.leases.stop();
    await new Promise((r) => setImmediate(r));
    this.client.destroy();
  }

  /**
   * Puts `rec` on the current lease: over an absent key, or over one whose value names our owner (at the mod
   * revision read). A key another owner holds (or a value that names none: not portolan's) is left alone.
   */
  private async ensure(rec: OwnedRecord): Promise<void> {
    const key = keyOf(this.layout, rec.instance);
    let expect: number | undefined;
    for (let attempt = 0; attempt < GUARDED_ATTEMPTS; attempt++) {
      const lease = await this.leases.current();
      let r: Awaited<ReturnType<EtcdClient["putGuarded"]>>;
      try {
        r = await this.client.putGuarded(key, rec.value, lease, expect);
      } catch (e) {
        // The lease ran out between the grant and this write (etcd out of reach for longer than its TTL).
        if (e instanceof EtcdRequestError && /lease not found/.test(e.etcdMessage)) {
          this.leases.forget(lease);
          continue;
        }
        throw e;
      }
      if (r.ok) return;
      if (!r.now) {
        expect = undefined;
        continue;
      }
      if (r.now.lease === lease && r.now.value === rec.value) return;
      const holder = ownerOfValue(r.now.value);
      if (holder !== rec.instance.owner) {
        const container = containerOfValue(r.now.value);
        const reason = holder === "" ? "ID's key holds a value portolan did not write (it names no owner); it is left alone" : heldBy({ owner: holder, ...(container && { container }) });
        throw new InstanceRejectedError({ backend: this.kind, instanceId: rec.instance.id, key: "id", reason });
      }
      expect = r.now.modRevision;
    }
    throw new BackendUnavailableError({ backend: this.kind, message: `register ${key}: the key kept changing under ${GUARDED_ATTEMPTS} guarded writes` });
  }

  /** Deletes the entry's key while its value names `owner`, at the mod revision read. */
  private async removeGuarded(ref: InstanceRef, owner: string): Promise<void> {
    const key = keyOf(this.layout, ref);
    for (let attempt = 0; attempt < GUARDED_ATTEMPTS; attempt++) {
      const now = await this.client.get(key);
      if (!now) return;
      if (ownerOfValue(now.value) !== owner) {
        this.log.warn({ key, owner }, "not removing an etcd key another owner holds");
        return;
      }
      if (await this.client.deleteGuarded(key, now.modRevision)) return;
    }
    throw new BackendUnavailableError({ backend: this.kind, message: `deregister ${key}: the key kept changing under ${GUARDED_ATTEMPTS} guarded deletes` });
  }

  /** Serialises operations on one entry (register/deregister/setHealth/restore) in call order. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => this.queues.get(key) === tail && this.queues.delete(key));
    return run;
  }

  /** After the lease was lost: every passing entry of this process is written again on the new lease, failures retried. */
  private async restoreAll(): Promise<void> {
    let pending = [...this.records.keys()];
    for (let round = 0; pending.length > 0 && !this.closing.signal.aborted; round++) {
      if (round > 0) await this.clock.sleep(backoff(round - 1), this.closing.signal);
      const failed: string[] = [];
      await mapBounded(pending, RESTORE_CONCURRENCY, (key) =>
          this.serial(key, () => {
            const rec = this.records.get(key);
            return rec && isPassing(rec.instance) ? this.ensure(rec) : Promise.resolve();
          }).catch((e: unknown) => {
            if (e instanceof InstanceRejectedError) return; // another owner took the ID meanwhile: not ours to write
            failed.push(key);
            this.log.warn({ key, err: e instanceof Error ? e.message : String(e) }, "writing an etcd entry again on the new lease failed; will retry");
          }),
      );
      if (failed.length === 0) this.log.info({ entries: pending.length }, "etcd entries written again on the new lease");
      pending = failed;
    }
  }
}
