// The Registry port on ZooKeeper: ephemeral entries in Curator or nerve layout, re-created after session expiry.
import { BackendAuthError, BackendUnavailableError, InstanceRejectedError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { isDeepStrictEqual } from "node:util";
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import { DNS_LABEL, isPassing } from "../../src/core/model.js";
import { FreshReads } from "../../src/core/fresh-read.js";
import type { Registry, RegistryAccess } from "../../src/core/registry.js";
import { backoff, delay, mapBounded } from "../../src/core/util.js";
import { heldBy, instanceProblem } from "../../src/core/validate.js";
import { decodeCurator, decodeNerve, encodeCurator, encodeNerve, nodeOwner } from "./codec.js";
import type { ResolvedOptions, ZooKeeperOptions } from "./options.js";
import { resolveOptions } from "./options.js";
import type { Client } from "./ops.js";
import { CreateMode, Exception, create, exists, getACL, getChildren, getData, mkdirp, ownerHex, remove, sessionHex, setData, zkCode } from "./ops.js";
import { holders } from "./acl.js";
import { ZkRefusals } from "./refusals.js";
import type { RefusalStore } from "../../src/core/refusals.js";
import { Permission } from "node-zookeeper-client";
import { curatorDir, curatorPath, nerveChildId, nerveChildPrefix, nerveDir, assertZnodeName, znodeNameProblem } from "./paths.js";
import { ZkSession, unavailable } from "./session.js";
import { scanOwned } from "./owned.js";
import { HeldNodes } from "./held.js";
import { TreeWatcher } from "./watch.js";

/** What this process registered: the instance as given, and the exact bytes it wrote (or would write). */
export interface OwnedRecord {
  instance: Instance;
  registrationTimeUTC: number;
  data: Buffer;
}

/** A version the base node never reaches (portolan never writes its data): setData there only tests the ACL. */
const NEVER_A_VERSION = 0x7fffffff;

/**
 * Entries re-created at once after a session expiry: each is a create round trip (plus a read when a node is
 * left), and one at a time a host's hundred entries stayed missing for seconds; more at once would only queue
 * behind each other on the one connection and load the ensemble while it recovers.
 */
export const RESTORE_CONCURRENCY = 16;

export function recordKey(ref: InstanceRef): string {
  return `${ref.name}/${ref.id}`;
}

export class ZooKeeperRegistry implements Registry {
  readonly kind = "zookeeper";
  private readonly o: ResolvedOptions;
  private readonly log: Logger;
  private readonly session: ZkSession;
  private readonly records = new Map<string, OwnedRecord>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly watchers = new Set<TreeWatcher>();
  private readonly listings = new FreshReads<string[]>();
  /** Whether listOwned may answer from `records` (held.ts). */
  private readonly held: HeldNodes;
  private closed = false;
  /** A refusal by an ACL was logged (once, loudly); a write that succeeds again re-arms it. */
  private authReported = false;
  /** Who may write the base, as its ACL says (digest hashes left out), once a write probe was refused. */
  private writers: string | undefined;

  private refusalStore: ZkRefusals | undefined;

  constructor(opts: ZooKeeperOptions) {
    this.o = resolveOptions(opts);
    this.log = this.o.logger;
    this.session = new ZkSession(this.o);
    this.held = new HeldNodes(this.o.clock, this.log);
    this.session.onRenewed(() => {
      this.held.renewed();
      void this.restoreAll();
    });
  }

  /** Refusals in `/portolan-refusals<base>/<host>` (refusals.ts). */
  get refusals(): RefusalStore {
    this.refusalStore ??= new ZkRefusals(this.session, { base: this.o.base, acl: this.o.acl, logger: this.log, wrap: (what, e) => this.wrap(what, e) });
    return this.refusalStore;
  }

  /** Hex id of the current ZooKeeper session ("" while not connected): what `ephemeralOwner` of our nodes shows. */
  sessionId(): string {
    return this.session.currentSessionHex();
  }

  /** Session id and password, only so fault-injection tests can expire the session; never log them. */
  sessionCredentials(): { id: Buffer; password: Buffer } | undefined {
    return this.session.credentials();
  }

  /** Backend-independent rules, then: the ID is one znode name; nerve's weight is HAProxy's (an integer 0-256). */
  validate(instance: Instance): void {
    const problem = instanceProblem(this.kind, instance);
    if (problem) throw problem;
    assertZnodeName(instance.id);
    const weight = instance.meta.weight;
    if (this.o.format === "nerve" && weight !== undefined && !(/^\d{1,3}$/.test(weight) && Number(weight) <= 256)) {
      throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, key: "meta.weight", reason: `nerve weight ${JSON.stringify(weight)} is not an integer 0-256` });
    }
  }

  async register(instance: Instance): Promise<void> {
    this.validate(instance);
    const inst = structuredClone(instance);
    const key = recordKey(inst);
    await this.locked(key, async () => {
      const prev = this.records.get(key);
      let time = prev?.registrationTimeUTC ?? Date.now();
      let data = this.encode(inst, time);
      if (prev && !data.equals(prev.data)) {
        time = Date.now();
        data = this.encode(inst, time);
      }
      const rec: OwnedRecord = { instance: structuredClone(inst), registrationTimeUTC: time, data };
      this.records.set(key, rec);
      const deadline = this.session.deadline();
      try {
        if (isPassing(inst)) await this.ensureNode(rec, deadline);
        else await this.removeNodes(inst, deadline, inst.owner);
        this.authReported = false;
      } catch (e) {
        if (e instanceof InstanceRejectedError) this.records.delete(key);
        throw e;
      }
    });
    // Ids are unique across services (the registrator keys on them): a renamed service replaces the old entry.
    for (const other of [...this.records.values()]) {
      if (other.instance.id === inst.id && other.instance.name !== inst.name) await this.deregister(other.instance);
    }
  }

  async deregister(ref: InstanceRef): Promise<void> {
    // A ref that cannot name a znode was never written: nothing to remove (and no path to build from it).
    if (!DNS_LABEL.test(ref.name) || znodeNameProblem(ref.id) !== undefined) return;
    const key = recordKey(ref);
    await this.locked(key, async () => {
      this.records.delete(key);
      await this.removeNodes(ref, this.session.deadline(), ref.owner);
    });
  }

  async setHealth(ref: InstanceRef, status: Health, _output: string): Promise<void> {
    const key = recordKey(ref);
    await this.locked(key, async () => {
      const rec = this.records.get(key);
      if (!rec || rec.instance.health === status) return;
      rec.instance = { ...rec.instance, health: status };
      const deadline = this.session.deadline();
      if (status === "passing") await this.ensureNode(rec, deadline);
      else await this.removeNodes(ref, deadline, rec.instance.owner);
    });
  }

  /**
   * Start-up probe: the base path can be read (and, for write, created): an ACL refusing us is a BackendAuthError.
   * With a credential, write access to the base is also checked: ZooKeeper takes any digest credential (a wrong
   * password is just another identity), so the only tell is an ACL set by the right one. A setData at a version the
   * base never has is refused for the ACL before the version is compared, and changes nothing either way.
   */
  async checkAccess(access: RegistryAccess): Promise<void> {
    const probe = async (c: Client) => {
      if (access === "write") await mkdirp(c, this.o.base, this.o.acl);
      await getChildren(c, this.o.base).catch((e: unknown) => {
        if (zkCode(e) !== Exception.NO_NODE) throw e;
      });
      if (access === "write" && this.o.auth) await this.probeWrite(c);
    };
    await this.session.run("checkAccess", probe, this.session.deadline()).catch((e: unknown) => {
      // At start-up the caller reports a refusal (and exits): no second line from here.
      const reported = this.authReported;
      this.authReported = true;
      const err = this.wrap("checkAccess", e);
      if (!(err instanceof BackendAuthError)) this.authReported = reported;
      throw err;
    });
  }

  private async probeWrite(c: Client): Promise<void> {
    try {
      await setData(c, this.o.base, Buffer.alloc(0), NEVER_A_VERSION);
    } catch (e) {
      if (zkCode(e) === Exception.BAD_VERSION) return;
      if (zkCode(e) === Exception.NO_AUTH) {
        const acl = await getACL(c, this.o.base).catch(() => undefined);
        this.writers = acl && holders(acl, Permission.WRITE);
      }
      throw e;
    }
    // Version 2^31-1 matched: only after two billion writes to a node portolan never writes. Nothing to undo.
  }

  /**
   * What `owner` has under the base. Read from ZooKeeper (every service directory, and this owner's nodes) at the
   * first call, after a new session, after a watch on one of our nodes fired or a write failed, and at least every
   * FULL_SCAN_EVERY_MS; otherwise answered from the records, with no request (held.ts says when that holds).
   */
  async listOwned(owner: string): Promise<Instance[]> {
    const found = this.held.vouches(owner, this.session.currentSessionHex()) ? this.heldEntries(owner) : await this.scan(owner);
    // Held back (not passing, so absent from ZooKeeper) but known here: report them so callers do not loop.
    for (const [key, rec] of this.records) {
      if (rec.instance.owner === owner && !isPassing(rec.instance) && !found.has(key)) found.set(key, structuredClone(rec.instance));
    }
    return [...found.values()];
  }

  /** The passing records of `owner`, as registered: each one's node is held by this session, as written. */
  private heldEntries(owner: string): Map<string, Instance> {
    const found = new Map<string, Instance>();
    for (const [key, rec] of this.records) if (rec.instance.owner === owner && isPassing(rec.instance)) found.set(key, structuredClone(rec.instance));
    return found;
  }

  /** The full read of listOwned; when it finds exactly the passing records, they are vouched for from then on. */
  private async scan(owner: string): Promise<Map<string, Instance>> {
    const mark = this.held.beginScan();
    const { found, session } = await this.session
      .run(
        "listOwned",
        async (c) => ({ found: await scanOwned(c, { base: this.o.base, format: this.o.format, owner, records: this.records }), session: sessionHex(c) }),
        this.session.deadline(),
      )
      .catch((e: unknown) => {
        throw this.wrap("listOwned", e);
      });
    const passing = [...this.records].filter(([, rec]) => rec.instance.owner === owner && isPassing(rec.instance));
    // Only what this process wrote is watched: a process holding no node of `owner` (a reader, a registrator with
    // nothing running) learns of another writer's nodes only by reading, so it is never vouched for.
    const clean = passing.length > 0 && found.size === passing.length && passing.every(([key, rec]) => isDeepStrictEqual(found.get(key), rec.instance));
    this.held.scanned(mark, owner, session, clean);
    return found;
  }

  /**
   * A watch on our node at `path`, written at `version` (not awaited: a registration waits for no more than its
   * write). Its firing, or an answer showing the node other than written, makes the next listOwned read the tree.
   */
  private watchOwn(path: string, version: number): void {
    const token = this.held.claim(path);
    void this.session
      .run("watch own node", async (c) => ({ stat: await exists(c, path, () => this.held.fired(path, token)), session: sessionHex(c) }), this.session.deadline())
      .then(
        ({ stat, session }) => this.held.confirm(path, token, stat !== null && ownerHex(stat) === session && stat.version === version),
        () => this.held.confirm(path, token, false),
      );
  }

  /**
   * Reachability for the catalog's probe: the session is connected (waited for up to the operation timeout). Sends
   * nothing: the client's own heartbeats keep the connection state current.
   */
  async ping(): Promise<void> {
    await this.session.run("ping", async () => {}, this.session.deadline()).catch((e: unknown) => {
      throw this.wrap("ping", e);
    });
  }

  watch(signal?: AbortSignal): AsyncIterable<CatalogSnapshot> {
    const w = new TreeWatcher({
      session: this.session,
      base: this.o.base,
      format: this.o.format,
      logger: this.log,
      overlay: (i, data) => {
        const rec = this.records.get(recordKey(i));
        return rec && isPassing(rec.instance) && rec.data.equals(data) ? { ...structuredClone(rec.instance), registeredAt: i.registeredAt } : undefined;
      },
    });
    this.watchers.add(w);
    if (this.closed) w.stop();
    return w.snapshots(signal, () => this.watchers.delete(w));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers) w.stop();
    await this.session.close();
  }

  private encode(i: Instance, time: number): Buffer {
    return Buffer.from(this.o.format === "curator" ? encodeCurator(i, time, this.o.payload) : encodeNerve(i), "utf8");
  }

  /** Serialises operations on one entry (register/deregister/setHealth/restore) in call order. */
  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    try {
      return await next;
    } catch (e) {
      this.held.doubt("write failed", key);
      throw this.wrap(key, e);
    }
  }

  private wrap(what: string, e: unknown): Error {
    const code = zkCode(e);
    if (code === Exception.NO_AUTH || code === Exception.AUTH_FAILED) {
      // An ACL set by another client: a configuration problem, not an outage (it was retried for ever as one).
      const auth = this.o.auth;
      const message = auth
        ? `${what}: ZooKeeper refused access under ${this.o.base} (${(e as Exception).getName()}): its ACL does not let digest identity ${JSON.stringify(auth.user)} (${auth.source}) read and write there${this.writers ? ` (write access: ${this.writers})` : ""}; ZooKeeper takes any password, so a wrong one is another identity: use the credential the nodes were created with`
        : `${what}: ZooKeeper refused access under ${this.o.base} (${(e as Exception).getName()}): its ACL does not let this client (no credentials) read and write there; grant world:anyone access or choose another base path`;
      const err = new BackendAuthError({ backend: this.kind, message, cause: e });
      // The registrator logs these at debug level per attempt: the adapter says it once, loudly.
      if (!this.authReported) this.log.error({ base: this.o.base, code: (e as Exception).getName() }, err.message);
      this.authReported = true;
      return err;
    }
    if (e instanceof BackendUnavailableError || !(e instanceof Exception)) return e instanceof Error ? e : new Error(String(e));
    return unavailable(`${what}: ${e.getName()}`, e);
  }

  /** A nerve directory's children, one listing shared by the writes that wait for it (a burst of n writes to one service lists it a few times, not n). */
  private listChildren(dir: string, deadline: number): Promise<string[]> {
    return this.listings.read(dir, () => this.run("getChildren", (c) => getChildren(c, dir), deadline));
  }

  private run<T>(what: string, fn: (c: Client) => Promise<T>, deadline: number, idempotent = true): Promise<T> {
    return this.session.run(what, fn, deadline, idempotent);
  }

  private ensureNode(rec: OwnedRecord, deadline: number): Promise<void> {
    return this.o.format === "curator" ? this.ensureCurator(rec, deadline) : this.ensureNerve(rec, deadline);
  }

  /** Create the ephemeral node; if one exists, keep it when our session owns it (rewriting changed data), else replace it. */
  private async ensureCurator(rec: OwnedRecord, deadline: number): Promise<void> {
    const { name, id } = rec.instance;
    const path = curatorPath(this.o.base, name, id);
    for (;;) {
      if (Date.now() > deadline) throw unavailable(`register ${path}: gave up`);
      try {
        await this.run("create", (c) => create(c, path, rec.data, CreateMode.EPHEMERAL, this.o.acl), deadline);
        this.log.debug({ path }, "zookeeper node created");
        this.watchOwn(path, 0);
        return;
      } catch (e) {
        const code = zkCode(e);
        if (code === Exception.NO_NODE) {
          await this.run("mkdirp", (c) => mkdirp(c, curatorDir(this.o.base, name), this.o.acl), deadline);
          continue;
        }
        if (code !== Exception.NODE_EXISTS) throw e;
      }
      if (await this.adoptOrRemove(path, rec, deadline)) return;
    }
  }

  /**
   * An existing node at `path`: keep it if the current session owns it (setting `data` if it differs) -> true.
   * A node of another session is deleted (-> false, the caller creates it anew) only when it belongs to the same
   * owner (a previous run or a dead session of this registrator); a node another owner holds, or one whose owner
   * cannot be read, is never touched: InstanceRejectedError, the first holder keeps it.
   */
  private async adoptOrRemove(path: string, rec: OwnedRecord, deadline: number): Promise<boolean> {
    const data = rec.data;
    try {
      const { node, session } = await this.run(
        "getData",
        async (c) => ({ node: await getData(c, path), session: sessionHex(c) }),
        deadline,
      );
      const owner = ownerHex(node.stat);
      if (owner === session) {
        if (!node.data.equals(data)) {
          this.held.release(path);
          const stat = await this.run("setData", (c) => setData(c, path, data, node.stat.version), deadline);
          this.watchOwn(path, stat.version);
        } else if (!this.held.isWatched(path)) this.watchOwn(path, node.stat.version);
        return true;
      }
      const holder = this.holderOf(rec.instance, node.data);
      if (holder !== rec.instance.owner) {
        const reason = holder !== undefined ? heldBy({ owner: holder }) : `ID is held by ZooKeeper session 0x${owner}, whose node names no owner (Curator's format has no place for one); the first holder keeps it`;
        throw new InstanceRejectedError({ backend: this.kind, instanceId: rec.instance.id, key: "id", reason });
      }
      this.log.info({ path, ephemeralOwner: owner, session }, "replacing this owner's zookeeper node left by another session");
      this.held.release(path);
      await this.run("remove", (c) => remove(c, path, node.stat.version), deadline);
      return false;
    } catch (e) {
      const code = zkCode(e);
      if (code === Exception.NO_NODE || code === Exception.BAD_VERSION) return false;
      throw e;
    }
  }

  /** The owner recorded in a node's data (labels, else the ID's `<owner>:` prefix), or undefined when unreadable. */
  private holderOf(ref: InstanceRef, data: Buffer): string | undefined {
    const decoded = this.o.format === "curator" ? decodeCurator(ref.name, data) : decodeNerve(ref.name, ref.id, data);
    return decoded.ok ? nodeOwner(decoded.instance) : undefined;
  }

  /** Nerve: exactly one ephemeral-sequential child `<id>_NNNNNNNNNN` owned by the current session. */
  private async ensureNerve(rec: OwnedRecord, deadline: number): Promise<void> {
    const { name, id } = rec.instance;
    const dir = nerveDir(this.o.base, name);
    for (;;) {
      if (Date.now() > deadline) throw unavailable(`register ${dir}/${id}: gave up`);
      let children: string[];
      try {
        children = await this.listChildren(dir, deadline);
      } catch (e) {
        if (zkCode(e) !== Exception.NO_NODE) throw e;
        await this.run("mkdirp", (c) => mkdirp(c, dir, this.o.acl), deadline);
        continue;
      }
      let kept = false;
      for (const child of children.filter((ch) => nerveChildId(ch) === id).sort()) {
        const path = `${dir}/${child}`;
        if (!kept) kept = await this.adoptOrRemove(path, rec, deadline);
        else await this.removeIgnoringAbsent(path, deadline, rec.instance);
      }
      if (kept) return;
      try {
        // Not retried blindly on connection loss: the next loop lists the children and finds it if it was made.
        const path = await this.run("create", (c) => create(c, `${dir}/${nerveChildPrefix(id)}`, rec.data, CreateMode.EPHEMERAL_SEQUENTIAL, this.o.acl), deadline, false);
        this.log.debug({ path }, "zookeeper node created");
        this.watchOwn(path, 0);
        return;
      } catch (e) {
        if (!(e instanceof BackendUnavailableError) && zkCode(e) !== Exception.NO_NODE) throw e;
        if (Date.now() >= deadline) throw e;
      }
    }
  }

  /** Removes the entry's nodes; with `owner`, only nodes whose data names that owner. */
  private async removeNodes(ref: InstanceRef, deadline: number, owner?: string): Promise<void> {
    const guard = owner !== undefined ? { ...ref, owner } : undefined;
    if (this.o.format === "curator") {
      await this.removeIgnoringAbsent(curatorPath(this.o.base, ref.name, ref.id), deadline, guard);
      return;
    }
    const dir = nerveDir(this.o.base, ref.name);
    let children: string[];
    try {
      children = await this.listChildren(dir, deadline);
    } catch (e) {
      if (zkCode(e) === Exception.NO_NODE) return;
      throw e;
    }
    for (const child of children) {
      if (nerveChildId(child) === ref.id) await this.removeIgnoringAbsent(`${dir}/${child}`, deadline, guard);
    }
  }

  /** Removes `path`; with `guard`, only when this session holds it or its data names `guard.owner` (at the version read). */
  private async removeIgnoringAbsent(path: string, deadline: number, guard?: InstanceRef & { owner: string }): Promise<void> {
    try {
      let version = -1;
      if (guard) {
        const { node, session } = await this.run("getData", async (c) => ({ node: await getData(c, path), session: sessionHex(c) }), deadline);
        if (ownerHex(node.stat) !== session && this.holderOf(guard, node.data) !== guard.owner) {
          this.log.warn({ path, owner: guard.owner }, "not removing a zookeeper node another owner holds");
          return;
        }
        version = node.stat.version;
      }
      this.held.release(path);
      await this.run("remove", (c) => remove(c, path, version), deadline);
      this.log.debug({ path }, "zookeeper node removed");
    } catch (e) {
      const code = zkCode(e);
      // Changed by someone else since it was read, and left: the next listOwned reads the tree and sees it.
      if (code === Exception.BAD_VERSION) this.held.doubt("node changed while being removed", path);
      if (code !== Exception.NO_NODE && code !== Exception.BAD_VERSION) throw e;
    }
  }

  /**
   * After session expiry: every passing entry this process owns is created again under the new session,
   * RESTORE_CONCURRENCY at a time (each under its entry's lock, so a register or deregister meanwhile keeps its order).
   */
  private async restoreAll(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      let failed = 0;
      const keys = [...this.records.keys()];
      await mapBounded(keys, RESTORE_CONCURRENCY, async (key) => {
        try {
          await this.locked(key, async () => {
            const rec = this.records.get(key);
            if (rec && isPassing(rec.instance)) await this.ensureNode(rec, this.session.deadline());
          });
        } catch (e) {
          failed++;
          this.log.warn({ key, err: e }, "re-creating a zookeeper entry after session expiry failed; will retry");
        }
      });
      if (failed === 0) {
        this.log.info({ entries: keys.length }, "zookeeper entries re-created under the new session");
        return;
      }
      await delay(backoff(attempt));
    }
  }
}
