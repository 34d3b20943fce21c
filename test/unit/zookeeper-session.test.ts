// ZkSession on a fake client and a fake clock: Curator's rule (a connection lost for longer than the session
// timeout is an expired session: new client, subscribers told), the read timeout (a connection that hears nothing is
// dropped) and failing at once when every server refuses.
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError } from "../../src/core/errors.js";
import { ZkSession, type SessionClient } from "../../adapters/zookeeper/session.js";
import { FakeClock, settle } from "../support/fake-clock.js";
import { capturingLogger } from "../support/capturing-logger.js";

const SESSION_TIMEOUT_MS = 4_000;

class FakeClient extends EventEmitter {
  closed = false;
  connects = 0;
  /** What dropConnection() reaches: the current socket of node-zookeeper-client's connection manager. */
  drops = 0;
  readonly connectionManager: { socket: { destroy: () => void }; connectTimeoutHandler: null };
  /** With `observable`, the socket is an emitter whose "data" the session can hear (as a real net.Socket). */
  constructor(
    private readonly n: number,
    observable = false,
  ) {
    super();
    const destroy = () => void this.drops++;
    const socket = observable ? Object.assign(new EventEmitter(), { destroy }) : { destroy };
    this.connectionManager = { socket, connectTimeoutHandler: null };
  }
  /** The server sends something (an answer, a ping reply) on the current connection. */
  receive(): void {
    (this.connectionManager.socket as unknown as EventEmitter).emit("data", Buffer.alloc(4));
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

function setup(probe: () => Promise<boolean> = () => Promise.resolve(true), connect = "127.0.0.1:2181", observable = false) {
  const clock = new FakeClock();
  const clients: FakeClient[] = [];
  const captured = capturingLogger();
  const session = new ZkSession({
    connect,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    operationTimeoutMs: 10_000,
    logger: captured.logger,
    clock,
    probe,
    newClient: () => {
      const c = new FakeClient(clients.length + 1, observable);
      clients.push(c);
      return c as unknown as SessionClient;
    },
  });
  let renewed = 0;
  session.onRenewed(() => renewed++);
  return { clock, clients, session, renewed: () => renewed, lines: captured.lines };
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

describe("ZkSession: connection lost for longer than the session timeout", () => {
  it("0_is treated as an expired session: the old client is closed, a new one connects, subscribers are told", async () => {
    const s = setup();
    const first = await connected(s);
    first.emit("disconnected");
    await s.clock.advance(SESSION_TIMEOUT_MS - 1);
    expect(s.clients).toHaveLength(1);
    expect(first.closed).toBe(false);
    await s.clock.advance(2);
    expect(s.clients).toHaveLength(2);
    expect(first.closed).toBe(true);
    expect(s.clients[1]!.connects).toBe(1);
    expect(s.renewed()).toBe(0);
    s.clients[1]!.emit("connected");
    expect(s.renewed()).toBe(1);
    expect(s.session.currentSessionHex()).toBe("0000000000000002");
    // The abandoned client's late events change nothing.
    first.emit("connected");
    expect(s.session.currentSessionHex()).toBe("0000000000000002");
    await s.session.close();
  });

  it("1_a reconnection within the session timeout keeps the session", async () => {
    const s = setup();
    const first = await connected(s);
    first.emit("disconnected");
    await s.clock.advance(SESSION_TIMEOUT_MS - 500);
    first.emit("connected");
    await s.clock.advance(SESSION_TIMEOUT_MS * 3);
    expect(s.clients).toHaveLength(1);
    expect(first.closed).toBe(false);
    expect(s.renewed()).toBe(0);
    await s.session.close();
  });

  it("2_each loss starts its own count: two short losses in a row renew nothing", async () => {
    const s = setup();
    const first = await connected(s);
    for (let i = 0; i < 2; i++) {
      first.emit("disconnected");
      await s.clock.advance(SESSION_TIMEOUT_MS - 100);
      first.emit("connected");
    }
    await s.clock.advance(200);
    expect(s.clients).toHaveLength(1);
    first.emit("disconnected");
    await s.clock.advance(SESSION_TIMEOUT_MS);
    expect(s.clients).toHaveLength(2);
    await s.session.close();
  });

  it("3_a new session lost again is renewed again", async () => {
    const s = setup();
    const first = await connected(s);
    first.emit("disconnected");
    await s.clock.advance(SESSION_TIMEOUT_MS);
    s.clients[1]!.emit("connected");
    s.clients[1]!.emit("disconnected");
    await s.clock.advance(SESSION_TIMEOUT_MS);
    expect(s.clients).toHaveLength(3);
    s.clients[2]!.emit("connected");
    expect(s.renewed()).toBe(2);
    await s.session.close();
  });

  it("4_after close() nothing is renewed", async () => {
    const s = setup();
    const first = await connected(s);
    first.emit("disconnected");
    await s.session.close();
    await s.clock.advance(SESSION_TIMEOUT_MS * 2);
    expect(s.clients).toHaveLength(1);
  });

  it("5_a server saying 'expired' renews at once (the same path)", async () => {
    const s = setup();
    const first = await connected(s);
    first.emit("expired");
    expect(first.closed).toBe(true);
    expect(s.clients).toHaveLength(2);
    s.clients[1]!.emit("connected");
    expect(s.renewed()).toBe(1);
    await s.session.close();
  });
});

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

describe("ZkSession: a server that accepts and never answers the handshake", () => {
  it("0_the attempt is dropped after the session timeout per server (at most 2 s) so the client tries the next server", async () => {
    // 4 s over two servers: 2 s per attempt.
    const s = setup(undefined, "127.0.0.1:2181,127.0.0.1:2182");
    const op = s.session.run("op", () => Promise.resolve("ok"), Date.now() + 60_000);
    await settle();
    const c = s.clients[0]!;
    await s.clock.advance(1_999);
    expect(c.drops).toBe(0);
    await s.clock.advance(2);
    expect(c.drops).toBe(1);
    await s.clock.advance(2_000);
    expect(c.drops).toBe(2);
    c.emit("connected");
    await expect(op).resolves.toBe("ok");
    await s.clock.advance(10_000);
    expect(c.drops).toBe(2);
    // A lost connection re-arms it, on the same session.
    c.emit("disconnected");
    await s.clock.advance(2_001);
    expect(c.drops).toBe(3);
    expect(s.clients).toHaveLength(1);
    await s.session.close();
  });

  it("1_one server: at most 2 s per attempt, then the same server again", async () => {
    const s = setup();
    void s.session.run("op", () => Promise.resolve("ok"), Date.now() + 60_000).catch(() => undefined);
    await settle();
    await s.clock.advance(2_001);
    expect(s.clients[0]!.drops).toBe(1);
    await s.session.close();
    const atClose = s.clients[0]!.drops;
    await s.clock.advance(10_000);
    expect(s.clients[0]!.drops).toBe(atClose);
  });
});

describe("ZkSession: a connection that hears nothing (the Java client's read timeout)", () => {
  // Two thirds of the 4 s session timeout; node-zookeeper-client pings after a third of it without traffic.
  const READ_TIMEOUT_MS = Math.floor((SESSION_TIMEOUT_MS * 2) / 3);
  const observable = () => setup(undefined, undefined, true);
  const silentWarnings = (lines: Record<string, unknown>[]) => lines.filter((l) => String(l.msg).includes("silent")).length;

  it("0_is dropped after two thirds of the session timeout without a byte, with one warning", async () => {
    const s = observable();
    const c = await connected(s);
    await s.clock.advance(READ_TIMEOUT_MS - 1);
    expect(c.drops).toBe(0);
    await s.clock.advance(2);
    expect(c.drops).toBe(1);
    expect(silentWarnings(s.lines)).toBe(1);
    await s.clock.advance(READ_TIMEOUT_MS * 3);
    expect(c.drops).toBe(1);
    await s.session.close();
  });

  it("1_traffic keeps it: answers or ping replies every 2 s for a minute drop nothing; silence after them does", async () => {
    const s = observable();
    const c = await connected(s);
    for (let t = 0; t < 60_000; t += 2_000) {
      await s.clock.advance(2_000);
      c.receive();
    }
    expect(c.drops).toBe(0);
    await s.clock.advance(READ_TIMEOUT_MS - 1);
    expect(c.drops).toBe(0);
    await s.clock.advance(2);
    expect(c.drops).toBe(1);
    await s.session.close();
  });

  it("2_a server that closed the session and keeps the socket: dropped, then 'expired' on reconnect, a new session", async () => {
    const s = observable();
    const first = await connected(s);
    await s.clock.advance(READ_TIMEOUT_MS + 1);
    expect(first.drops).toBe(1);
    // What node-zookeeper-client does next: the socket closes, it reconnects, and the server says the session is gone.
    first.emit("disconnected");
    first.emit("expired");
    expect(s.clients).toHaveLength(2);
    s.clients[1]!.emit("connected");
    expect(s.renewed()).toBe(1);
    expect(s.session.currentSessionHex()).toBe("0000000000000002");
    await s.session.close();
  });

  it("3_not counted while disconnected; re-armed by each connection; nothing after close()", async () => {
    const s = observable();
    const c = await connected(s);
    await s.clock.advance(1_000);
    c.emit("disconnected");
    await s.clock.advance(1_999);
    c.emit("connected");
    // A fresh count from the reconnection (the handshake's own bound dropped nothing: it answered within 2 s).
    await s.clock.advance(READ_TIMEOUT_MS - 1);
    expect(c.drops).toBe(0);
    await s.clock.advance(2);
    expect(c.drops).toBe(1);
    c.emit("disconnected");
    c.emit("connected");
    await s.session.close();
    await s.clock.advance(READ_TIMEOUT_MS * 3);
    expect(c.drops).toBe(1);
  });
});
