// watch(): the whole tree under the base path kept in memory with one-shot ZooKeeper watches,
// re-armed as they fire; bursts are coalesced into one snapshot; everything is re-read on a new session.
import type { Logger } from "../../src/core/log.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { DNS_LABEL } from "../../src/core/model.js";
import { SnapshotFeed } from "../../src/core/snapshot-feed.js";
import { backoff } from "../../src/core/util.js";
import { decodeCurator, decodeNerve } from "./codec.js";
import type { ZooKeeperFormat } from "./options.js";
import type { Client } from "./ops.js";
import { Event, Exception, exists, getChildren, getData, zkCode } from "./ops.js";
import { curatorDir, nerveChildId, nerveDir } from "./paths.js";
import type { ZkSession } from "./session.js";

/** Quiet time after a change before a snapshot is built, so a burst of events yields one snapshot. */
export const DEFAULT_COALESCE_MS = 25;
/**
 * While changes keep coming faster than the tree is read (a cold start of thousands of entries), a snapshot of what
 * was read so far goes out at least this often: readers were otherwise told nothing until the burst ended (in the
 * fleet bench, `up`'s catalog answered 404 for services created tens of seconds before).
 */
export const MAX_STALE_MS = 1000;
/**
 * Reads sent at once (pipelined on the one connection). At 64, `up` in the fleet bench caught up with a cold start
 * of 10,000 entries about 23 s after the ensemble had them all; at 512, about 4 s.
 */
const BATCH = 512;

export interface TreeWatcherOptions {
  session: ZkSession;
  base: string;
  format: ZooKeeperFormat;
  logger: Logger;
  /** The richer instance this process registered for a node holding exactly `data`, if any. */
  overlay?: (decoded: Instance, data: Buffer) => Instance | undefined;
  coalesceMs?: number;
}

type Task = { kind: "root" } | { kind: "dir"; name: string } | { kind: "leaf"; name: string; path: string };

interface Leaf {
  name: string;
  child: string;
  data: Buffer;
  instance: Instance | undefined;
}

export class TreeWatcher {
  private readonly leaves = new Map<string, Leaf>();
  /** Service name -> leaf paths listed under its directory. */
  private readonly services = new Map<string, Set<string>>();
  private readonly pending = new Map<string, Task>();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private stopped = false;
  private initialised = false;
  private dirty = true;
  private lastEmit = 0;
  private readonly feed = new SnapshotFeed();
  private unsubscribe: (() => void) | undefined;
  private readonly warnedNames = new Set<string>();

  constructor(private readonly o: TreeWatcherOptions) {}

  async *snapshots(signal?: AbortSignal, onEnd?: () => void): AsyncGenerator<CatalogSnapshot> {
    const abort = () => this.stop();
    signal?.addEventListener("abort", abort, { once: true });
    this.start();
    try {
      yield* this.feed.watch();
    } finally {
      signal?.removeEventListener("abort", abort);
      this.stop();
      onEnd?.();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe?.();
    this.feed.end();
  }

  private start(): void {
    if (this.stopped || this.unsubscribe) return;
    // A new session has none of our watches: list and read everything again (unchanged entries emit nothing).
    this.unsubscribe = this.o.session.onRenewed(() => this.rescanAll());
    this.schedule({ kind: "root" });
  }

  private rescanAll(): void {
    this.schedule({ kind: "root" });
    for (const name of this.services.keys()) this.schedule({ kind: "dir", name });
    for (const [path, leaf] of this.leaves) this.schedule({ kind: "leaf", name: leaf.name, path });
  }

  private dir(name: string): string {
    return this.o.format === "curator" ? curatorDir(this.o.base, name) : nerveDir(this.o.base, name);
  }

  private schedule(task: Task): void {
    if (this.stopped) return;
    const key = task.kind === "root" ? "root" : task.kind === "dir" ? `d:${task.name}` : `l:${task.path}`;
    this.pending.set(key, task);
    if (this.pumping || this.timer) return;
    this.timer = setTimeout(() => void this.pump(), this.initialised ? (this.o.coalesceMs ?? DEFAULT_COALESCE_MS) : 0);
  }

  private async pump(): Promise<void> {
    this.timer = undefined;
    this.pumping = true;
    let failures = 0;
    try {
      while (this.pending.size > 0 && !this.stopped) {
        const batch = [...this.pending].slice(0, BATCH);
        for (const [key] of batch) this.pending.delete(key);
        const results = await Promise.allSettled(batch.map(([, task]) => this.o.session.run("watch", (c) => this.runTask(c, task), this.o.session.deadline())));
        if (this.initialised && this.dirty && !this.stopped && Date.now() - this.lastEmit >= MAX_STALE_MS) this.emit();
        const failed = batch.filter((_, i) => results[i]!.status === "rejected");
        for (const [key, task] of failed) if (!this.pending.has(key)) this.pending.set(key, task);
        if (failed.length > 0 && !this.stopped) {
          const first = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
          const retryInMs = backoff(failures++);
          const err = first.reason instanceof Error ? first.reason.message : String(first.reason);
          this.o.logger.warn({ err, tasks: failed.length, retryInMs }, "zookeeper watch: reading the tree failed; retrying");
          // A new connection ends the pause: the tree is read again as soon as a server answers.
          await this.o.session.pause(retryInMs);
        }
      }
    } finally {
      this.pumping = false;
    }
    if (this.stopped) return;
    this.initialised = true;
    if (this.dirty) this.emit();
  }

  private async runTask(c: Client, task: Task): Promise<void> {
    if (this.stopped) return;
    if (task.kind === "root") return this.listRoot(c);
    if (task.kind === "dir") return this.listDir(c, task.name);
    return this.readLeaf(c, task.name, task.path);
  }

  /** getChildren with a watch; for an absent node, an existence watch that fires when it appears. */
  private async watchedChildren(c: Client, path: string, task: Task): Promise<string[] | undefined> {
    const rearm = () => this.schedule(task);
    try {
      return await getChildren(c, path, rearm);
    } catch (e) {
      if (zkCode(e) !== Exception.NO_NODE) throw e;
    }
    const stat = await exists(c, path, rearm);
    return stat ? getChildren(c, path, rearm) : undefined;
  }

  private async listRoot(c: Client): Promise<void> {
    const names = (await this.watchedChildren(c, this.o.base, { kind: "root" })) ?? [];
    const wanted = new Set<string>();
    for (const name of names) {
      if (DNS_LABEL.test(name)) wanted.add(name);
      else if (!this.warnedNames.has(name)) {
        this.warnedNames.add(name);
        this.o.logger.warn({ path: `${this.o.base}/${name}` }, "zookeeper service skipped: its name is not a DNS label");
      }
    }
    for (const name of wanted) if (!this.services.has(name)) this.schedule({ kind: "dir", name });
    for (const name of this.services.keys()) if (!wanted.has(name)) this.dropService(name);
  }

  private async listDir(c: Client, name: string): Promise<void> {
    const children = (await this.watchedChildren(c, this.dir(name), { kind: "dir", name })) ?? [];
    const known = this.services.get(name) ?? new Set<string>();
    this.services.set(name, known);
    const now = new Set(children.map((ch) => `${this.dir(name)}/${ch}`));
    for (const path of now) if (!this.leaves.has(path)) this.schedule({ kind: "leaf", name, path });
    for (const path of known) {
      if (!now.has(path)) this.dropLeaf(path);
    }
    for (const path of now) known.add(path);
  }

  private async readLeaf(c: Client, name: string, path: string): Promise<void> {
    if (!this.services.has(name)) return;
    let node;
    try {
      // A deleted node fires its data watch and its directory's child watch: it is forgotten here, and the
      // directory's listing reads it only if it is there again (a read now would only be answered "no node").
      node = await getData(c, path, (event) => {
        if (event.getType() === Event.NODE_DELETED) this.dropLeaf(path);
        else this.schedule({ kind: "leaf", name, path });
      });
    } catch (e) {
      if (zkCode(e) !== Exception.NO_NODE) throw e;
      this.dropLeaf(path);
      return;
    }
    const prev = this.leaves.get(path);
    // The node's ctime is the backend's registration time (a node deleted and created again: a new registration).
    const registeredAt = new Date(Number(node.stat.ctime.readBigInt64BE())).toISOString();
    if (prev && prev.data.equals(node.data) && (!prev.instance || prev.instance.registeredAt === registeredAt)) return;
    const child = path.slice(path.lastIndexOf("/") + 1);
    const decoded =
      this.o.format === "curator" ? decodeCurator(name, node.data) : decodeNerve(name, nerveChildId(child) ?? child, node.data);
    if (!decoded.ok) this.o.logger.warn({ path, reason: decoded.reason }, "zookeeper entry skipped: unparsable data");
    const instance = decoded.ok ? { ...decoded.instance, registeredAt } : undefined;
    this.leaves.set(path, { name, child, data: node.data, instance });
    this.services.get(name)?.add(path);
    this.dirty = true;
  }

  private dropLeaf(path: string): void {
    const leaf = this.leaves.get(path);
    if (!leaf) return;
    this.leaves.delete(path);
    this.services.get(leaf.name)?.delete(path);
    this.dirty = true;
  }

  private dropService(name: string): void {
    for (const path of this.services.get(name) ?? []) this.dropLeaf(path);
    this.services.delete(name);
  }

  private emit(): void {
    this.dirty = false;
    this.lastEmit = Date.now();
    const instances: Instance[] = [];
    const ids = new Set<string>();
    for (const leaf of [...this.leaves.values()].sort((a, b) => (a.name + "/" + a.child < b.name + "/" + b.child ? -1 : 1))) {
      if (!leaf.instance) continue;
      let inst = this.o.overlay?.(leaf.instance, leaf.data) ?? leaf.instance;
      // Two nerve children of one instance_id (nerve itself allows it): keep both, the later under its child name.
      if (ids.has(`${inst.name}/${inst.id}`)) inst = { ...inst, id: leaf.child };
      ids.add(`${inst.name}/${inst.id}`);
      instances.push(inst);
    }
    this.feed.publish(instances);
  }
}
