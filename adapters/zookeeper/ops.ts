// Promise forms of the node-zookeeper-client calls the adapter uses (no logic here).
import type { ACL, Client, Stat } from "node-zookeeper-client";
import { CreateMode, Event, Exception } from "node-zookeeper-client";

export { CreateMode, Event, Exception };
export type { ACL, Client, Stat };
export type Watcher = (event: Event) => void;

type Cb<T> = (error: Error | Exception | null, value: T) => void;

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

/** The ZooKeeper error code of `e`, if it is a ZooKeeper exception. */
export function zkCode(e: unknown): number | undefined {
  return e instanceof Exception ? e.getCode() : undefined;
}

export function sessionHex(c: Pick<Client, "getSessionId">): string {
  return c.getSessionId().toString("hex");
}

export function ownerHex(stat: Stat): string {
  return stat.ephemeralOwner.toString("hex");
}

/** Creates `path`; with `acl`, under that ACL (else ZooKeeper's open one). */
export function create(c: Client, path: string, data: Buffer, mode: number, acl?: ACL[]): Promise<string> {
  return call<string>((cb) => (acl ? c.create(path, data, acl, mode, cb) : c.create(path, data, mode, cb)));
}

export function remove(c: Client, path: string, version = -1): Promise<void> {
  return call<void>((cb) => c.remove(path, version, (e) => cb(e, undefined)));
}

/** Creates `path` and its missing parents as persistent nodes without data; with `acl`, each under that ACL. */
export function mkdirp(c: Client, path: string, acl?: ACL[]): Promise<void> {
  return call<void>((cb) => (acl ? c.mkdirp(path, acl, (e) => cb(e, undefined)) : c.mkdirp(path, (e) => cb(e, undefined))));
}

export function getACL(c: Client, path: string): Promise<ACL[]> {
  return call<ACL[]>((cb) => c.getACL(path, cb));
}

export function setData(c: Client, path: string, data: Buffer, version: number): Promise<Stat> {
  return call<Stat>((cb) => c.setData(path, data, version, cb));
}

export interface NodeData {
  data: Buffer;
  stat: Stat;
}

export function getData(c: Client, path: string, watcher?: Watcher): Promise<NodeData> {
  return new Promise((resolve, reject) => {
    const cb = (e: Error | Exception | null, data: Buffer | null, stat: Stat) =>
      e ? reject(e) : resolve({ data: data ?? Buffer.alloc(0), stat });
    if (watcher) c.getData(path, watcher, cb);
    else c.getData(path, cb);
  });
}

export function getChildren(c: Client, path: string, watcher?: Watcher): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const cb = (e: Error | Exception | null, children: string[]) => (e ? reject(e) : resolve(children));
    if (watcher) c.getChildren(path, watcher, cb);
    else c.getChildren(path, cb);
  });
}

/** The node's stat, or null if it does not exist (the watcher then fires on its creation). */
export function exists(c: Client, path: string, watcher?: Watcher): Promise<Stat | null> {
  return new Promise((resolve, reject) => {
    const cb = (e: Error | Exception | null, stat: Stat) => (e ? reject(e) : resolve(stat ?? null));
    if (watcher) c.exists(path, watcher, cb);
    else c.exists(path, cb);
  });
}

interface Socket {
  destroy(error?: Error): void;
  on?(event: "data", fn: () => void): unknown;
  removeListener?(event: "data", fn: () => void): unknown;
}

interface ConnectionManager {
  socket?: Socket;
  pendingBuffer?: Buffer | null;
  onSocketConnected?: (...a: unknown[]) => unknown;
  onSocketData?: (data: Buffer) => unknown;
}

/** node-zookeeper-client 1.x keeps its socket in a private connection manager; undefined if that ever changes. */
function connectionManager(c: Pick<Client, "close">): ConnectionManager | undefined {
  return (c as { connectionManager?: ConnectionManager }).connectionManager;
}

/**
 * Ends the client's current connection attempt (or connection) at once; the client then tries the next server.
 * node-zookeeper-client has no call for it. The socket fails with an error, which is also what clears the
 * client's connect timer.
 */
export function dropConnection(c: Pick<Client, "close">): void {
  connectionManager(c)?.socket?.destroy(new Error("dropped by portolan"));
}

/**
 * Calls `fn` for every chunk the client's current connection receives (answers, pings, watch events). Returns a
 * function that stops listening, or undefined when the client's socket cannot be reached (nothing is observed then).
 */
export function onReceive(c: Pick<Client, "close">, fn: () => void): (() => void) | undefined {
  const socket = connectionManager(c)?.socket;
  if (!socket?.on || !socket.removeListener) return undefined;
  socket.on("data", fn);
  return () => socket.removeListener?.("data", fn);
}

/**
 * node-zookeeper-client 1.1.3 keeps the unread part of a frame across connections: a server killed while it was
 * sending an answer leaves half a frame, which the next connection's handshake answer is appended to, and the
 * client's parser then throws from its socket handler, an uncaught exception that ends the process. Each new
 * connection starts with nothing pending, and a frame that still cannot be read ends that connection (the client
 * reconnects and retries) instead of the process. Call before connect(): the client binds its handlers there.
 */
export function guardFrames(c: Pick<Client, "close">): void {
  const manager = connectionManager(c);
  const { onSocketConnected, onSocketData } = manager ?? {};
  if (!manager || !onSocketConnected || !onSocketData) return;
  manager.onSocketConnected = function (this: ConnectionManager, ...a: unknown[]) {
    this.pendingBuffer = null;
    return onSocketConnected.apply(this, a);
  };
  manager.onSocketData = function (this: ConnectionManager, data: Buffer) {
    try {
      return onSocketData.call(this, data);
    } catch (e) {
      this.pendingBuffer = null;
      this.socket?.destroy(new Error(`unreadable answer from the server: ${(e as Error).message}`));
      return undefined;
    }
  };
}

/**
 * close() for a client that is not connected: node-zookeeper-client would keep its current socket, and open one
 * more if a reconnect was pending, to a server that may accept and never answer (holding the process for ever).
 * Every socket it has or makes from now on is failed at once, so it ends in its closed state.
 */
export function retire(c: Pick<Client, "close">): void {
  c.close();
  const manager = connectionManager(c);
  if (!manager) return;
  let current = manager.socket;
  current?.destroy(new Error("client closed"));
  Object.defineProperty(manager, "socket", {
    configurable: true,
    get: () => current,
    set: (s: ConnectionManager["socket"]) => {
      current = s;
      // Failed on the next tick, after the client has attached its handlers (its error handler clears its timer).
      s?.destroy(new Error("client closed"));
    },
  });
}
