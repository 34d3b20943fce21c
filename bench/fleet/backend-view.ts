// What the backend holds, read directly (not through portolan's own watch, so the bench does not trust what it
// measures): Consul's catalog from a server (every service's health entries), or ZooKeeper's curator tree. Only
// the fleet's entries (IDs under "host-") count; each is mapped to its health ("passing" or "critical").
import zookeeper from "node-zookeeper-client";

export type View = Map<string, string>;

export interface BackendReader {
  read(): Promise<View>;
  close(): Promise<void>;
}

const FLEET_ID = /^host-\d+:/;

interface ConsulCheckState {
  ServiceID: string;
  Status: string;
}

/** Consul: the catalog as a server holds it; an entry's health is the worst of its own checks (the node's apart). */
export function consulReader(serverUrls: () => string[]): BackendReader {
  const get = async (path: string): Promise<unknown> => {
    let last: unknown;
    for (const base of serverUrls()) {
      try {
        const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(30_000) });
        if (r.ok) return await r.json();
        last = new Error(`${base}${path}: ${r.status}`);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
  const rank: Record<string, number> = { passing: 0, warning: 1, critical: 2 };
  return {
    // One answer listing every check (each entry portolan registers has its own), from any server (`stale`): a
    // third of the bytes of every service's health entries, and no read forwarded to a loaded leader.
    async read() {
      const view: View = new Map();
      for (const c of (await get("/v1/health/state/any?stale")) as ConsulCheckState[]) {
        if (!c.ServiceID || !FLEET_ID.test(c.ServiceID)) continue;
        const w = view.get(c.ServiceID) ?? "passing";
        view.set(c.ServiceID, (rank[c.Status] ?? 2) > (rank[w] ?? 0) ? c.Status : w);
      }
      return view;
    },
    async close() {},
  };
}

/**
 * ZooKeeper, curator format: /services/<name>/<id>; an entry is there only while passing (the adapter's rule). A
 * read that has no answer within 30 s (a client whose connection went in an overloaded ensemble can wait for ever)
 * fails, and the next read opens a new client.
 */
export function zookeeperReader(connectString: string, base = "/services"): BackendReader {
  let client: zookeeper.Client | undefined;
  let connected: Promise<void> = Promise.resolve();
  const open = () => {
    client = zookeeper.createClient(connectString, { sessionTimeout: 30_000, spinDelay: 200, retries: 2 });
    const c = client;
    connected = new Promise<void>((resolve) => c.once("connected", () => resolve()));
    c.connect();
    return c;
  };
  const children = (c: zookeeper.Client, path: string) =>
    new Promise<string[]>((resolve, reject) =>
      c.getChildren(path, (err, kids) => {
        if (err && (err as { getCode?: () => number }).getCode?.() === zookeeper.Exception.NO_NODE) resolve([]);
        else if (err) reject(err);
        else resolve(kids);
      }),
    );
  const readAll = async (c: zookeeper.Client) => {
    await connected;
    const view: View = new Map();
    const names = await children(c, base);
    await Promise.all(
      names.map(async (name) => {
        for (const id of await children(c, `${base}/${name}`)) if (FLEET_ID.test(id)) view.set(id, "passing");
      }),
    );
    return view;
  };
  return {
    async read() {
      const c = client ?? open();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("ZooKeeper read: no answer within 30 s")), 30_000);
      });
      try {
        return await Promise.race([readAll(c), timeout]);
      } catch (err) {
        c.close();
        client = undefined;
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      client?.close();
    },
  };
}

export interface Diff {
  /** Expected but absent. */
  lost: number;
  /** Present but not expected. */
  dangling: number;
  /** Present and expected, with another health. */
  health: number;
  /** A few IDs of each, for the log. */
  examples: string[];
}

export function diff(expected: View, actual: View): Diff {
  const d: Diff = { lost: 0, dangling: 0, health: 0, examples: [] };
  for (const [id, h] of expected) {
    const got = actual.get(id);
    if (got === undefined) {
      d.lost++;
      if (d.examples.length < 6) d.examples.push(`lost ${id}`);
    } else if (got !== h) {
      d.health++;
      if (d.examples.length < 6) d.examples.push(`health ${id} ${got}!=${h}`);
    }
  }
  for (const id of actual.keys()) {
    if (!expected.has(id)) {
      d.dangling++;
      if (d.examples.length < 6) d.examples.push(`dangling ${id}`);
    }
  }
  return d;
}
