// Registry backed by Netflix Eureka's REST API (eureka://H1:P1[,H2:P2…]/PATH): each instance is registered with a
// lease the registrator's heartbeat renews (healthRefreshMs = the renewal interval; one PUT per instance per
// interval, as every Eureka client sends), re-registered when the server has lost it (404 to a renewal) or when its
// status changes; listOwned and watch read a copy of the registry kept up to date by /apps/delta (see apps.ts).
import { AuthFailures } from "../../src/core/auth-failures.js";
import { REAL_CLOCK, type Clock } from "../../src/core/clock.js";
import { BackendAuthError, BackendUnavailableError, InstanceRejectedError } from "../../src/core/errors.js";
import { silentLogger, type Logger } from "../../src/core/log.js";
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import type { RegisterOptions, Registry, RegistryAccess } from "../../src/core/registry.js";
import { SnapshotFeed } from "../../src/core/snapshot-feed.js";
import { backoff } from "../../src/core/util.js";
import { heldBy, ID_SEPARATOR, instanceProblem } from "../../src/core/validate.js";
import { AppsCopy } from "./apps.js";
import { EurekaHttp, type EurekaAnswer, type EurekaTransport } from "./http.js";
import { appName, fromInstanceInfo, META, toInstanceInfo, toStatus } from "./mapping.js";
import { DEFAULT_LEASE_MS, DEFAULT_PATH, DEFAULT_POLL_MS, DEFAULT_RENEW_MS, DEFAULT_REQUEST_TIMEOUT_MS, EurekaOptionsError, timingProblem, type EurekaOptions } from "./options.js";
import type { EurekaInstanceInfo } from "./types.js";

/**
 * A delta is used only this soon after the last sync: Eureka keeps a change in its delta for 3 minutes (its
 * retentionTimeInMSInDeltaQueue) and its read cache may serve it up to 30 s late; older copies are fetched whole.
 */
export const DELTA_MAX_AGE_MS = 120_000;
/** Instance IDs travel in a URL path: Tomcat refuses encoded "/" and "\", and "." / ".." are resolved away. */
const ID = /^[A-Za-z0-9._:@~+=-]{1,512}$/;
/** Metadata keys are XML element names for Eureka's XML readers. */
const META_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

interface Written {
  instance: Instance;
  /** lastDirtyTimestamp of our last registration: a renewal carrying it makes a server holding an older copy say 404. */
  dirty: number;
}

/** A write of ours the server's read cache may not show yet: overlaid on what it says until it does (or `until`). */
interface Pending {
  instance: Instance | undefined;
  dirty: number;
  until: number;
}

const keyOf = (ref: { name: string; id: string }) => `${appName(ref.name)}/${ref.id}`;
const byId = (a: Instance, b: Instance) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class EurekaRegistry implements Registry {
  readonly kind = "eureka";
  /** The registrator renews (setHealth) every instance this often: one PUT each. */
  readonly healthRefreshMs: number;
  readonly http: EurekaTransport;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly auth: AuthFailures;
  private readonly copy = new AppsCopy();
  private lastSync = -Infinity;
  /** The last delta changed the copy: the next sync reads the registry whole, once (see doSync). */
  private confirm = false;
  private syncing: Promise<void> | undefined;
  private readonly written = new Map<string, Written>();
  private readonly pending = new Map<string, Pending>();
  private lastDirty = 0;
  private readonly closing = new AbortController();

  constructor(opts: EurekaOptions) {
    const base = opts.logger ?? silentLogger();
    this.logger = base.bindings().component === "eureka" ? base : base.child({ component: "eureka" });
    this.clock = opts.clock ?? REAL_CLOCK;
    const timings = { renewMs: opts.renewMs ?? DEFAULT_RENEW_MS, leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS, pollMs: opts.pollMs ?? DEFAULT_POLL_MS };
    const problem = timingProblem(timings);
    if (problem) throw new EurekaOptionsError(problem);
    if (opts.servers.length === 0) throw new EurekaOptionsError({ option: "servers", message: "at least one server is needed" });
    this.healthRefreshMs = timings.renewMs;
    this.leaseMs = timings.leaseMs;
    this.pollMs = timings.pollMs;
    this.auth = new AuthFailures(this.logger);
    this.http = opts.transport ?? new EurekaHttp({
      servers: opts.servers,
      path: opts.path || DEFAULT_PATH,
      username: opts.username,
      password: opts.password,
      requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      auth: this.auth,
    });
  }

  get authFailures(): number {
    return this.auth.count;
  }

  /** Eureka has no permissions beyond basic auth: a read tells whether the credentials are accepted. */
  async checkAccess(_access: RegistryAccess): Promise<void> {
    await this.sync(this.closing.signal);
  }

  validate(instance: Instance): void {
    const problem = instanceProblem(this.kind, instance);
    if (problem) throw problem;
    const reject = (key: string, reason: string): never => {
      throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, key, reason });
    };
    if (!ID.test(instance.id) || instance.id === "." || instance.id === "..") reject("id", "Eureka instance IDs here are letters, digits and . _ : @ ~ + = - (they travel in a URL path)");
    for (const k of Object.keys(instance.meta)) {
      if (!META_KEY.test(k)) reject(`meta.${k}`, "Eureka metadata keys are XML names: a letter or _, then letters, digits, _ . -");
    }
  }

  async register(instance: Instance, opts?: RegisterOptions): Promise<void> {
    this.validate(instance);
    if (!(opts?.defaultId === true && instance.id.startsWith(`${instance.owner}${ID_SEPARATOR}`))) {
      const held = await this.holder(instance);
      if (held && held.owner !== instance.owner) {
        throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, key: "id", reason: heldBy(held) });
      }
    }
    await this.post(structuredClone(instance));
    this.logger.debug({ id: instance.id, name: instance.name }, "registered");
  }

  /** POST /apps/{APP}: registers (or replaces) the instance with a new lastDirtyTimestamp. */
  private async post(instance: Instance): Promise<void> {
    const dirty = this.nextDirty();
    const info = toInstanceInfo(instance, { renewMs: this.healthRefreshMs, leaseMs: this.leaseMs }, dirty);
    const r = await this.http.request({ operation: "register", method: "POST", path: `/apps/${enc(info.app)}`, body: { instance: info }, signal: this.closing.signal });
    if (r.status === 400) throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, reason: `server said: HTTP 400 ${said(r)}` });
    if (r.status !== 204 && r.status !== 200) throw this.unexpected("register", r);
    const key = keyOf(instance);
    this.written.set(key, { instance, dirty });
    this.pending.set(key, { instance, dirty, until: this.clock.now() + this.leaseMs });
  }

  /** Lamport-ish: strictly increasing, so a server never keeps an older registration of ours over a newer one. */
  private nextDirty(): number {
    this.lastDirty = Math.max(this.lastDirty + 1, this.clock.now());
    return this.lastDirty;
  }

  /** Who holds `ref`'s ID in its app now (owner "" for an instance portolan did not register). */
  private async holder(ref: { name: string; id: string }): Promise<{ owner: string; container?: { name: string } } | undefined> {
    const r = await this.http.request({ operation: "read owner", method: "GET", path: `/apps/${enc(appName(ref.name))}/${enc(ref.id)}`, signal: this.closing.signal });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw this.unexpected("read owner", r);
    const md = (r.body as { instance?: EurekaInstanceInfo } | undefined)?.instance?.metadata ?? {};
    const name = md[META.containerName];
    return { owner: md[META.owner] ?? "", ...(name !== undefined && { container: { name } }) };
  }

  async deregister(ref: InstanceRef): Promise<void> {
    if (ref.owner !== undefined) {
      const held = await this.holder(ref);
      if (!held || held.owner !== ref.owner) return;
    }
    const r = await this.http.request({ operation: "deregister", method: "DELETE", path: `/apps/${enc(appName(ref.name))}/${enc(ref.id)}`, signal: this.closing.signal });
    if (r.status !== 200 && r.status !== 404) throw this.unexpected("deregister", r);
    const key = keyOf(ref);
    this.written.delete(key);
    this.pending.set(key, { instance: undefined, dirty: 0, until: this.clock.now() + this.leaseMs });
    this.logger.debug({ id: ref.id, name: ref.name }, "deregistered");
  }

  /**
   * The registrator's heartbeat: the same status renews the lease (PUT, one request; a 404 means the server lost it:
   * registered again); another status re-registers the instance with it, as Eureka's own clients publish a change.
   * An operator's status override (OUT_OF_SERVICE) set on the server is kept by the server either way.
   */
  async setHealth(ref: InstanceRef, status: Health, _output: string): Promise<void> {
    const key = keyOf(ref);
    let w = this.written.get(key);
    if (!w) {
      const found = await this.readOwn(ref);
      if (!found) throw new BackendUnavailableError({ backend: this.kind, message: `renew ${JSON.stringify(ref.id)}: not registered on the server (the next resync registers it again)` });
      w = { instance: found, dirty: 0 };
    }
    if (ref.owner !== undefined && w.instance.owner !== ref.owner) return;
    if (w.dirty > 0 && w.instance.health === status) {
      const r = await this.http.request({
        operation: "renew",
        method: "PUT",
        path: `/apps/${enc(appName(ref.name))}/${enc(ref.id)}`,
        query: { status: toStatus(status), lastDirtyTimestamp: String(w.dirty) },
        signal: this.closing.signal,
      });
      if (r.status === 200) return;
      if (r.status !== 404) throw this.unexpected("renew", r);
      this.logger.info({ id: ref.id, name: ref.name, server: r.server }, "the server lost this lease; registering again");
    }
    await this.post({ ...w.instance, health: status });
  }

  /** An instance `ref.owner` (or anyone, without it) holds on the server, read whole. */
  private async readOwn(ref: InstanceRef): Promise<Instance | undefined> {
    const r = await this.http.request({ operation: "read", method: "GET", path: `/apps/${enc(appName(ref.name))}/${enc(ref.id)}`, signal: this.closing.signal });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw this.unexpected("read", r);
    const info = (r.body as { instance?: EurekaInstanceInfo } | undefined)?.instance;
    const i = info && fromInstanceInfo(info);
    return i && (ref.owner === undefined || i.owner === ref.owner) ? i : undefined;
  }

  async listOwned(owner: string): Promise<Instance[]> {
    await this.sync(this.closing.signal);
    const owned = this.view().filter((i) => i.owner === owner);
    // What a new process finds of its own is what it renews (and registers again if the server loses it).
    for (const i of owned) if (!this.written.has(keyOf(i))) this.written.set(keyOf(i), { instance: i, dirty: 0 });
    return owned;
  }

  /** Answers at no cost while the copy is fresh (a watch polls it); otherwise one delta read. */
  async ping(signal?: AbortSignal): Promise<void> {
    if (this.clock.now() - this.lastSync <= 2 * this.pollMs) return;
    await this.sync(signal ?? this.closing.signal);
  }

  watch(signal?: AbortSignal): AsyncIterable<CatalogSnapshot> {
    const reader = new AbortController();
    const stop = AbortSignal.any([reader.signal, this.closing.signal, ...(signal ? [signal] : [])]);
    const feed = new SnapshotFeed();
    return (async function* (self: EurekaRegistry) {
      const loop = self.pollLoop(feed, stop);
      try {
        yield* feed.watch(stop);
      } finally {
        reader.abort();
        await loop;
      }
    })(this);
  }

  /** One delta read per poll (a full read when the copy's hash disagrees); a snapshot when what it shows changed. */
  private async pollLoop(feed: SnapshotFeed, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      let wait = this.pollMs;
      try {
        await this.sync(signal);
        attempt = 0;
        feed.publish(this.view());
      } catch (err) {
        if (signal.aborted) break;
        wait = Math.min(this.pollMs, backoff(attempt++));
        // Refused credentials were reported once, loudly (AuthFailures): no warning per attempt.
        this.logger[err instanceof BackendAuthError ? "debug" : "warn"]({ err: (err as Error).message, retryInMs: wait }, "eureka watch: fetch failed");
      }
      await this.clock.sleep(wait, signal);
    }
    feed.end();
  }

  /**
   * Brings the copy up to date: one delta when the copy is recent and the delta's hash then matches, else GET /apps.
   * A delta that changed the copy is confirmed by one whole read at the next sync: Eureka's server can keep serving
   * a delta generated in the middle of a burst of writes (its response cache reloads the entry while the last write
   * invalidates it, and keeps the stale load) whose hash agrees with the instances it lists; a copy built from it
   * would stay wrong until the next change. So one change costs a reader two reads; an idle one, a delta per poll.
   */
  private sync(signal: AbortSignal): Promise<void> {
    // One sync at a time, shared by every caller, bound only to close(): a reader that leaves (its signal aborts)
    // stops waiting for it, and never aborts it under another caller (the registrator's resync in `up`).
    this.syncing ??= this.doSync(this.closing.signal).finally(() => (this.syncing = undefined));
    if (signal === this.closing.signal) return this.syncing;
    return new Promise((resolve, reject) => {
      const left = () => reject(new BackendUnavailableError({ backend: this.kind, message: "fetch: aborted" }));
      if (signal.aborted) return left();
      signal.addEventListener("abort", left, { once: true });
      this.syncing!.then(resolve, reject).finally(() => signal.removeEventListener("abort", left));
    });
  }

  private async doSync(signal: AbortSignal): Promise<void> {
    const started = this.clock.now();
    if (this.copy.loaded && !this.confirm && started - this.lastSync <= DELTA_MAX_AGE_MS) {
      try {
        const d = await this.http.request({ operation: "fetch delta", method: "GET", path: "/apps/delta", signal });
        const applied = d.status === 200 ? this.copy.applyDelta(d.body as never) : undefined;
        if (applied?.matches) {
          this.lastSync = started;
          this.confirm = applied.changed;
          return;
        }
        this.logger.debug({ status: d.status, server: d.server }, "delta did not match the server's hash; fetching the registry whole");
      } catch (err) {
        if (err instanceof BackendAuthError || signal.aborted) throw err;
      }
    }
    const f = await this.http.request({ operation: "fetch", method: "GET", path: "/apps", signal });
    if (f.status !== 200) throw this.unexpected("fetch", f);
    this.copy.replace(f.body as never);
    this.lastSync = started;
    this.confirm = false;
  }

  /** The server's copy with this process's recent writes the server does not show yet (its read cache lags). */
  private view(): Instance[] {
    const out = new Map<string, Instance>();
    for (const info of this.copy.instances()) {
      const i = fromInstanceInfo(info);
      if (i) out.set(keyOf(i), i);
      const p = this.pending.get(`${info.app.toUpperCase()}/${info.instanceId}`);
      if (p?.instance && Number(info.lastDirtyTimestamp ?? 0) >= p.dirty) this.pending.delete(keyOf(p.instance));
    }
    const now = this.clock.now();
    for (const [key, p] of this.pending) {
      if (now > p.until || (!p.instance && !out.has(key))) this.pending.delete(key);
      if (now > p.until) continue;
      if (p.instance) out.set(key, p.instance);
      else out.delete(key);
    }
    return [...out.values()].sort(byId);
  }

  private unexpected(operation: string, r: EurekaAnswer): BackendUnavailableError {
    return new BackendUnavailableError({ backend: this.kind, message: `${operation}: ${r.server} answered HTTP ${r.status} ${said(r)}` });
  }

  async close(): Promise<void> {
    this.closing.abort();
    await new Promise((r) => setImmediate(r));
    this.http.destroy();
  }
}

const enc = encodeURIComponent;
const said = (r: EurekaAnswer) => (r.body === undefined ? "" : JSON.stringify(r.body).slice(0, 300));

export function createEurekaRegistry(opts: EurekaOptions): Registry {
  return new EurekaRegistry(opts);
}

export { EurekaOptionsError } from "./options.js";
export type { EurekaOptions, EurekaServer } from "./options.js";
