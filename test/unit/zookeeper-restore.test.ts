// ZooKeeperRegistry after a session expiry, on a fake client: every owned passing entry is created again under the
// new session, with a bounded number of creates in flight (one at a time made recovery of a host's hundred entries
// take most of the fleet bench's 39 s), and entries held back (not passing) stay absent.
import { EventEmitter } from "node:events";
import { Exception } from "node-zookeeper-client";
import { describe, expect, it } from "vitest";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/registry.js";
import { RESTORE_CONCURRENCY } from "../../adapters/zookeeper/registry.js";
import type { SessionClient } from "../../adapters/zookeeper/session.js";
import type { Instance } from "../../src/core/model.js";
import { capturingLogger } from "../support/capturing-logger.js";
import { until } from "../support/until.js";

type Cb = (e: Error | Exception | null, v?: unknown) => void;

/** The error node-zookeeper-client gives for `code` (what zkCode() reads back). */
const zkError = (code: number, path: string) => new Exception(code, String(code), path, zkError);

/** The server side shared by every client: znodes with their owning session, creates in flight counted. */
class FakeServer {
  readonly nodes = new Map<string, { data: Buffer; owner: number }>();
  inFlight = 0;
  maxInFlight = 0;
  creates = 0;

  /** A session ends: its ephemeral nodes go (every entry is ephemeral; parents are owned by 0). */
  expire(session: number): void {
    for (const [p, n] of this.nodes) if (n.owner === session) this.nodes.delete(p);
  }
}

class FakeClient extends EventEmitter {
  constructor(
    private readonly server: FakeServer,
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
    return Buffer.from([0, 0, 0, 0, 0, 0, 0, this.session]);
  }
  getSessionPassword(): Buffer {
    return Buffer.alloc(16);
  }
  getSessionTimeout(): number {
    return 4_000;
  }
  mkdirp(path: string, cb: Cb): void {
    for (let p = path; p !== ""; p = p.slice(0, p.lastIndexOf("/"))) if (!this.server.nodes.has(p)) this.server.nodes.set(p, { data: Buffer.alloc(0), owner: 0 });
    setImmediate(() => cb(null));
  }
  getData(path: string, cb: (e: Exception | null, data?: Buffer, stat?: unknown) => void): void {
    const n = this.server.nodes.get(path);
    const stat = n && { version: 0, ephemeralOwner: Buffer.from([0, 0, 0, 0, 0, 0, 0, n.owner]) };
    setImmediate(() => (n ? cb(null, n.data, stat) : cb(zkError(Exception.NO_NODE, path))));
  }
  remove(path: string, _version: number, cb: Cb): void {
    const had = this.server.nodes.delete(path);
    setImmediate(() => cb(had ? null : zkError(Exception.NO_NODE, path)));
  }
  /** Answers after a few turns of the event loop, so that concurrent creates overlap. */
  create(path: string, data: Buffer, _mode: number, cb: Cb): void {
    const s = this.server;
    s.creates++;
    s.maxInFlight = Math.max(s.maxInFlight, ++s.inFlight);
    const parent = path.slice(0, path.lastIndexOf("/"));
    let turns = 3;
    const answer = () => {
      if (--turns > 0) return void setImmediate(answer);
      s.inFlight--;
      if (!s.nodes.has(parent)) return cb(zkError(Exception.NO_NODE, path));
      if (s.nodes.has(path)) return cb(zkError(Exception.NODE_EXISTS, path));
      s.nodes.set(path, { data, owner: this.session });
      cb(null, path);
    };
    setImmediate(answer);
  }
}

const ENTRIES = 100;

function instance(k: number, health: Instance["health"] = "passing"): Instance {
  return { id: `host1:c${k}:80`, name: `svc${k % 7}`, address: "10.0.0.1", port: 1000 + k, protocol: "tcp", tags: [], meta: {}, checks: [], health, owner: "host1" };
}

describe("ZooKeeperRegistry restore after session expiry", () => {
  it(`0_re-creates every passing entry, at most ${RESTORE_CONCURRENCY} at a time, and not the held-back ones`, async () => {
    const server = new FakeServer();
    const clients: FakeClient[] = [];
    const { logger, lines } = capturingLogger();
    const reg = new ZooKeeperRegistry({
      connect: "127.0.0.1:2181",
      format: "curator",
      chroot: "/services",
      logger,
      probe: () => Promise.resolve(true),
      newClient: () => {
        const c = new FakeClient(server, clients.length + 1);
        clients.push(c);
        return c as unknown as SessionClient;
      },
    });
    try {
      const held = [instance(ENTRIES, "critical"), instance(ENTRIES + 1, "critical")];
      for (let k = 0; k < ENTRIES; k++) await reg.register(instance(k));
      for (const i of held) await reg.register(i);
      const path = (i: Instance) => `/services/${i.name}/${i.id}`;
      expect([...server.nodes.values()].filter((n) => n.owner === 1)).toHaveLength(ENTRIES);
      server.maxInFlight = 0;
      server.creates = 0;

      server.expire(1);
      clients[0]!.emit("expired");
      await until("every entry re-created", () => lines.some((l) => l.msg === "zookeeper entries re-created under the new session"), 10_000, 5);

      expect(clients).toHaveLength(2);
      for (let k = 0; k < ENTRIES; k++) expect(server.nodes.get(path(instance(k)))?.owner).toBe(2);
      for (const i of held) expect(server.nodes.has(path(i))).toBe(false);
      expect(server.creates).toBe(ENTRIES);
      expect(server.maxInFlight).toBeLessThanOrEqual(RESTORE_CONCURRENCY);
      expect(server.maxInFlight).toBe(RESTORE_CONCURRENCY); // bounded, and not one at a time
    } finally {
      await reg.close();
    }
  });
});
