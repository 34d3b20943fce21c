// A ZooKeeper server in memory for unit tests of the adapter: znodes with versions and owning sessions, one-shot
// watches fired as ZooKeeper fires them, and every request a client sends counted by operation. Edits made through
// the server itself (`put`, `change`, `drop`) stand for another client: they are not counted and fire watches.
import { EventEmitter } from "node:events";
import { Event, Exception } from "node-zookeeper-client";
import type { SessionClient } from "../../adapters/zookeeper/session.js";

type Cb = (e: Exception | null, ...v: unknown[]) => void;
type Watcher = (event: Event) => void;
type Kind = "data" | "child" | "exist";

interface Znode {
  data: Buffer;
  owner: number;
  version: number;
  ctime: number;
}

const zkError = (code: number, path: string) => new Exception(code, String(code), path, zkError);
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};
const parentOf = (path: string) => path.slice(0, path.lastIndexOf("/"));

export class FakeZooKeeper {
  readonly nodes = new Map<string, Znode>();
  /** Requests by operation name ("getData", "getChildren", "exists", "create", "setData", "remove", ...). */
  readonly counts = new Map<string, number>();
  readonly clients: FakeZkClient[] = [];
  /** Requests sent and not yet answered, and the most there were at once, by operation. */
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  /** Turns of the event loop a request waits for its answer (more: concurrent requests overlap). */
  answerTurns = 1;
  /** Milliseconds every answer waits besides (a server's round trip). */
  answerDelayMs = 0;
  private readonly watches = new Map<string, { session: number; fn: Watcher }[]>();
  private seq = 0;
  private zxid = 1;

  /** For ZooKeeperRegistry's `newClient` seam: each client is a new session (1, 2, ...). */
  readonly newClient = (): SessionClient => {
    const c = new FakeZkClient(this, this.clients.length + 1);
    this.clients.push(c);
    return c as unknown as SessionClient;
  };

  requests(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  resetCounts(): void {
    this.counts.clear();
    this.maxInFlight.clear();
  }

  /** Another client creates `path` (parents made persistent). */
  put(path: string, data: string | Buffer, owner = 0): void {
    for (let p = parentOf(path); p !== "" && !this.nodes.has(p); p = parentOf(p)) this.nodes.set(p, this.znode(Buffer.alloc(0), 0));
    this.nodes.set(path, this.znode(Buffer.from(data), owner));
    this.fire("exist", path, Event.NODE_CREATED);
    this.fire("data", path, Event.NODE_CREATED);
    this.fire("child", parentOf(path), Event.NODE_CHILDREN_CHANGED);
  }

  /** Another client sets the data of `path`. */
  change(path: string, data: string | Buffer): void {
    const n = this.nodes.get(path);
    if (!n) throw new Error(`no node ${path}`);
    this.nodes.set(path, { ...n, data: Buffer.from(data), version: n.version + 1 });
    this.fire("data", path, Event.NODE_DATA_CHANGED);
    this.fire("exist", path, Event.NODE_DATA_CHANGED);
  }

  /** Another client deletes `path`. */
  drop(path: string): void {
    if (!this.nodes.delete(path)) throw new Error(`no node ${path}`);
    this.fire("data", path, Event.NODE_DELETED);
    this.fire("exist", path, Event.NODE_DELETED);
    this.fire("child", path, Event.NODE_DELETED);
    this.fire("child", parentOf(path), Event.NODE_CHILDREN_CHANGED);
  }

  /** The session of client `k` (1-based) ends on the server: its ephemerals go, its watches with it; it hears "expired". */
  expire(k: number): void {
    for (const [key, list] of this.watches) this.watches.set(key, list.filter((w) => w.session !== k));
    for (const [p, n] of [...this.nodes]) if (n.owner === k) this.drop(p);
    this.clients[k - 1]!.emit("expired");
  }

  children(path: string): string[] {
    return [...this.nodes.keys()].filter((p) => parentOf(p) === path).map((p) => p.slice(path.length + 1));
  }

  stat(path: string): Record<string, unknown> | undefined {
    const n = this.nodes.get(path);
    return n && { version: n.version, ephemeralOwner: u64(n.owner), ctime: u64(n.ctime), mtime: u64(n.ctime) };
  }

  /** One request of `session`: counted, answered on a later turn of the event loop. */
  request(op: string, answer: () => void): void {
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
    const now = (this.inFlight.get(op) ?? 0) + 1;
    this.inFlight.set(op, now);
    this.maxInFlight.set(op, Math.max(now, this.maxInFlight.get(op) ?? 0));
    let turns = this.answerTurns;
    const later = () => {
      if (--turns > 0) return void setImmediate(later);
      this.inFlight.set(op, (this.inFlight.get(op) ?? 1) - 1);
      answer();
    };
    if (this.answerDelayMs > 0) setTimeout(later, this.answerDelayMs);
    else setImmediate(later);
  }

  watch(kind: Kind, path: string, session: number, fn: Watcher | undefined): void {
    if (!fn) return;
    const key = `${kind} ${path}`;
    const list = this.watches.get(key) ?? [];
    // ZooKeeper keeps one watch per path, kind and client; the client calls each distinct function once.
    if (!list.some((w) => w.session === session && w.fn === fn)) list.push({ session, fn });
    this.watches.set(key, list);
  }

  create(path: string, data: Buffer, mode: number, session: number): string {
    if (!this.nodes.has(parentOf(path))) throw zkError(Exception.NO_NODE, path);
    const made = mode >= 2 ? `${path}${String(this.seq++).padStart(10, "0")}` : path;
    if (this.nodes.has(made)) throw zkError(Exception.NODE_EXISTS, made);
    this.put(made, data, mode % 2 === 1 ? session : 0);
    return made;
  }

  setData(path: string, data: Buffer, version: number): Record<string, unknown> {
    const n = this.nodes.get(path);
    if (!n) throw zkError(Exception.NO_NODE, path);
    if (version !== -1 && version !== n.version) throw zkError(Exception.BAD_VERSION, path);
    this.change(path, data);
    return this.stat(path)!;
  }

  remove(path: string, version: number): void {
    const n = this.nodes.get(path);
    if (!n) throw zkError(Exception.NO_NODE, path);
    if (version !== -1 && version !== n.version) throw zkError(Exception.BAD_VERSION, path);
    this.drop(path);
  }

  private znode(data: Buffer, owner: number): Znode {
    return { data, owner, version: 0, ctime: this.zxid++ };
  }

  private fire(kind: Kind, path: string, type: number): void {
    const key = `${kind} ${path}`;
    const list = this.watches.get(key);
    if (!list) return;
    this.watches.delete(key);
    const event = { type, path, getType: () => type, getPath: () => path, getName: () => String(type) } as unknown as Event;
    for (const w of list) setImmediate(() => w.fn(event));
  }
}

/** What ZooKeeperRegistry and its session use of node-zookeeper-client's Client, on a FakeZooKeeper. */
export class FakeZkClient extends EventEmitter {
  constructor(
    private readonly zk: FakeZooKeeper,
    readonly session: number,
  ) {
    super();
  }
  connect(): void {
    setImmediate(() => this.emit("connected"));
  }
  close(): void {
    setImmediate(() => this.emit("disconnected"));
  }
  addAuthInfo(): void {}
  getSessionId(): Buffer {
    return u64(this.session);
  }
  getSessionPassword(): Buffer {
    return Buffer.alloc(16);
  }
  getSessionTimeout(): number {
    return 4_000;
  }

  private answer(op: string, cb: Cb, fn: () => unknown[]): void {
    this.zk.request(op, () => {
      let out: unknown[];
      try {
        out = fn();
      } catch (e) {
        return cb(e as Exception);
      }
      cb(null, ...out);
    });
  }

  getChildren(path: string, ...rest: unknown[]): void {
    const [watcher, cb] = (rest.length === 2 ? rest : [undefined, rest[0]]) as [Watcher | undefined, Cb];
    this.answer("getChildren", cb, () => {
      if (!this.zk.nodes.has(path)) throw zkError(Exception.NO_NODE, path);
      this.zk.watch("child", path, this.session, watcher);
      return [this.zk.children(path), this.zk.stat(path)];
    });
  }
  getData(path: string, ...rest: unknown[]): void {
    const [watcher, cb] = (rest.length === 2 ? rest : [undefined, rest[0]]) as [Watcher | undefined, Cb];
    this.answer("getData", cb, () => {
      const n = this.zk.nodes.get(path);
      if (!n) throw zkError(Exception.NO_NODE, path);
      this.zk.watch("data", path, this.session, watcher);
      return [n.data, this.zk.stat(path)];
    });
  }
  exists(path: string, ...rest: unknown[]): void {
    const [watcher, cb] = (rest.length === 2 ? rest : [undefined, rest[0]]) as [Watcher | undefined, Cb];
    this.answer("exists", cb, () => {
      // An existing node gets a data watch, an absent one an existence watch (as node-zookeeper-client registers them).
      this.zk.watch(this.zk.nodes.has(path) ? "data" : "exist", path, this.session, watcher);
      return [this.zk.stat(path)];
    });
  }
  create(path: string, data: Buffer, ...rest: unknown[]): void {
    const cb = rest.at(-1) as Cb;
    const mode = rest.at(-2) as number;
    this.answer("create", cb, () => [this.zk.create(path, data, mode, this.session)]);
  }
  setData(path: string, data: Buffer, version: number, cb: Cb): void {
    this.answer("setData", cb, () => [this.zk.setData(path, data, version)]);
  }
  remove(path: string, version: number, cb: Cb): void {
    this.answer("remove", cb, () => (this.zk.remove(path, version), []));
  }
  mkdirp(path: string, ...rest: unknown[]): void {
    const cb = rest.at(-1) as Cb;
    this.answer("mkdirp", cb, () => {
      if (!this.zk.nodes.has(path)) this.zk.put(path, "");
      return [path];
    });
  }
  getACL(path: string, cb: Cb): void {
    this.answer("getACL", cb, () => [[], this.zk.stat(path)]);
  }
}
