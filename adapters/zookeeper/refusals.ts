// Refusals shared through ZooKeeper: one node per host, `/portolan-refusals<base>/<host>` (outside the base, where
// Curator and nerve readers would take it for a service), holding its JSON document, written only when that host's
// set changes (emptied: removed). A catalog keeps one children watch on the directory and one data watch per host:
// idle, nothing is sent (the session's pings are there anyway); a change costs one getData (and one getChildren
// when a host comes or goes).
import type { ACL } from "node-zookeeper-client";
import type { Logger } from "../../src/core/log.js";
import { decodeRefusals, encodeRefusals, sortHosts, type HostRefusals, type RefusalStore } from "../../src/core/refusals.js";
import { backoff } from "../../src/core/util.js";
import { CreateMode, Exception, create, exists, getChildren, getData, mkdirp, remove, setData, zkCode, type Client } from "./ops.js";
import type { ZkSession } from "./session.js";

export function refusalsDir(base: string): string {
  return `/portolan-refusals${base === "/" ? "" : base}`;
}

export class ZkRefusals implements RefusalStore {
  private readonly dir: string;

  constructor(
    private readonly session: ZkSession,
    private readonly o: { base: string; acl?: ACL[]; logger: Logger; wrap: (what: string, e: unknown) => Error },
  ) {
    this.dir = refusalsDir(o.base);
  }

  async publish(doc: HostRefusals): Promise<void> {
    const path = `${this.dir}/${encodeURIComponent(doc.host)}`;
    const empty = doc.refusals.length + doc.more === 0;
    const data = Buffer.from(encodeRefusals(doc));
    try {
      await this.session.run("publish refusals", async (c) => {
        if (empty) return remove(c, path).catch(ignore(Exception.NO_NODE));
        try {
          await setData(c, path, data, -1);
        } catch (e) {
          if (zkCode(e) !== Exception.NO_NODE) throw e;
          await mkdirp(c, this.dir, this.o.acl);
          await create(c, path, data, CreateMode.PERSISTENT, this.o.acl).catch(async (err: unknown) => {
            if (zkCode(err) !== Exception.NODE_EXISTS) throw err;
            await setData(c, path, data, -1);
          });
        }
      }, this.session.deadline());
    } catch (e) {
      throw this.o.wrap("publish refusals", e);
    }
  }

  async *watch(signal?: AbortSignal): AsyncGenerator<HostRefusals[]> {
    const docs = new Map<string, HostRefusals>();
    const dirty = new Set<string>();
    let listDirty = true;
    let kick: (() => void) | undefined;
    const wake = () => kick?.();
    const unsubscribe = this.session.onRenewed(() => {
      // A new session has none of our watches: read everything again.
      listDirty = true;
      for (const h of docs.keys()) dirty.add(h);
      wake();
    });
    signal?.addEventListener("abort", wake);
    let last: string | undefined;
    let attempt = 0;
    try {
      while (!signal?.aborted) {
        try {
          if (listDirty) {
            listDirty = false;
            const children = await this.session.run("watch refusals", (c) => this.children(c, () => ((listDirty = true), wake())), this.session.deadline());
            for (const h of children) if (!docs.has(h)) dirty.add(h);
            for (const h of docs.keys()) if (!children.includes(h)) docs.delete(h);
          }
          for (const h of [...dirty]) {
            dirty.delete(h);
            const node = await this.session
              .run("watch refusals", (c) => getData(c, `${this.dir}/${h}`, () => (dirty.add(h), wake())), this.session.deadline())
              .catch((e: unknown) => (zkCode(e) === Exception.NO_NODE ? undefined : Promise.reject(e)));
            const doc = node && decodeRefusals(safeDecode(h), node.data.toString("utf8"));
            if (doc && doc.refusals.length + doc.more > 0) docs.set(h, doc);
            else docs.delete(h);
          }
          attempt = 0;
        } catch (e) {
          if (signal?.aborted) return;
          const err = this.o.wrap("watch refusals", e);
          if (err.name === "BackendAuthError") throw err;
          const retryInMs = backoff(attempt++);
          this.o.logger.warn({ err: err.message, retryInMs }, "zookeeper: reading the refusals failed; retrying");
          listDirty = true;
          await this.session.pause(retryInMs);
          continue;
        }
        const list = sortHosts(docs.values());
        const text = JSON.stringify(list);
        if (text !== last) {
          last = text;
          yield list;
        }
        if (!listDirty && dirty.size === 0 && !signal?.aborted) await new Promise<void>((resolve) => (kick = resolve));
        kick = undefined;
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener("abort", wake);
    }
  }

  /** The directory's children with a watch; while it does not exist, an existence watch. */
  private async children(c: Client, rearm: () => void): Promise<string[]> {
    try {
      return await getChildren(c, this.dir, rearm);
    } catch (e) {
      if (zkCode(e) !== Exception.NO_NODE) throw e;
    }
    const stat = await exists(c, this.dir, rearm);
    return stat ? getChildren(c, this.dir, rearm) : [];
  }
}

const ignore = (code: number) => (e: unknown) => {
  if (zkCode(e) !== code) throw e;
};

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
