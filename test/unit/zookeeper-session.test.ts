// ZkSession on a fake client: failing at once when every server refuses connections.
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import { ZkSession, type SessionClient } from "../../adapters/zookeeper/session.js";
import { settle } from "../support/fake-clock.js";

const SESSION_TIMEOUT_MS = 4_000;

class FakeClient extends EventEmitter {
  closed = false;
  connects = 0;
  constructor(private readonly n: number) {
    super();
  }
  connect(): void {
    this.connects++;
  }
  close(): void {
    this.closed = true;
    this.emit("disconnected");
  }
  getSessionId(): Buffer {
    return Buffer.from([0, 0, 0, 0, 0, 0, 0, this.n]);
  }
  getSessionPassword(): Buffer {
    return Buffer.alloc(16);
  }
  getSessionTimeout(): number {
    return SESSION_TIMEOUT_MS;
  }
}

function setup(probe: () => Promise<boolean> = () => Promise.resolve(true)) {
  const clients: FakeClient[] = [];
  const session = new ZkSession({
    connect: "127.0.0.1:2181",
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    operationTimeoutMs: 10_000,
    logger: silentLogger(),
    probe,
    newClient: () => {
      const c = new FakeClient(clients.length + 1);
      clients.push(c);
      return c as unknown as SessionClient;
    },
  });
  let renewed = 0;
  session.onRenewed(() => renewed++);
  return { clients, session, renewed: () => renewed };
}

/** Starts the session's first client and connects it; resolves once an operation ran on it. */
async function connected(s: ReturnType<typeof setup>): Promise<FakeClient> {
  const op = s.session.run("op", () => Promise.resolve("ok"), Date.now() + 60_000);
  await settle();
  const c = s.clients[0]!;
  c.emit("connected");
  await expect(op).resolves.toBe("ok");
  return c;
}

describe("ZkSession: every server refusing connections", () => {
  it("0_an operation fails at once with BackendUnavailableError naming the servers", async () => {
    const s = setup(() => Promise.resolve(false));
    const t0 = Date.now();
    const err = await s.session.run("op", () => Promise.resolve("ok"), Date.now() + 60_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toContain("127.0.0.1:2181");
    expect(Date.now() - t0).toBeLessThan(1_000);
    await s.session.close();
  });

  it("1_a server that listens is waited for until the deadline (it may be electing a leader)", async () => {
    const s = setup(() => Promise.resolve(true));
    expect((await connected(s)).connects).toBe(1);
    await s.session.close();
  });
});
