// Promise forms of the node-zookeeper-client calls the adapter uses (no logic here).
import type { Client, Event, Stat } from "node-zookeeper-client";
import { CreateMode, Exception } from "node-zookeeper-client";

export { CreateMode, Exception };
export type { Client, Event, Stat };
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

export function create(c: Client, path: string, data: Buffer, mode: number): Promise<string> {
  return call<string>((cb) => c.create(path, data, mode, cb));
}

export function remove(c: Client, path: string, version = -1): Promise<void> {
  return call<void>((cb) => c.remove(path, version, (e) => cb(e, undefined)));
}

/** Creates `path` and its missing parents as persistent nodes without data. */
export function mkdirp(c: Client, path: string): Promise<void> {
  return call<void>((cb) => c.mkdirp(path, (e) => cb(e, undefined)));
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

/**
 * Ends the client's current TCP connection (or connection attempt) at once. node-zookeeper-client has no call for
 * it: after close() a client that is not connected keeps its socket and its connect timer (a server that accepts but
 * never answers holds them, and the process, for ever). Reaches into the client's connection manager (1.x); a no-op
 * if absent.
 */
export function dropConnection(c: Pick<Client, "close">): void {
  const manager = (c as { connectionManager?: { socket?: { destroy(): void }; connectTimeoutHandler?: NodeJS.Timeout | null } }).connectionManager;
  if (!manager) return;
  // Its connect timer (the session timeout per server) is cleared only by a socket error or a connection.
  if (manager.connectTimeoutHandler) clearTimeout(manager.connectTimeoutHandler);
  manager.socket?.destroy();
}
