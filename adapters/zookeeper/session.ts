// One ZooKeeper session at a time: connects lazily, waits out connection loss (same session),
// and on expiry builds a new client and tells subscribers so they re-create ephemerals and re-arm watches.
// A connection lost for longer than the session timeout counts as an expiry (Curator's rule), a connection that
// hears nothing for two thirds of it is dropped (the Java client's read timeout), and an operation fails at once
// when every server refuses TCP connections (nothing to wait for).
import { createClient } from "node-zookeeper-client";
import type { Clock } from "../../src/core/clock.js";
import { REAL_CLOCK } from "../../src/core/clock.js";
import { BackendUnavailableError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { delay } from "../../src/core/util.js";
import type { DigestCredential } from "./credential.js";
import type { Client } from "./ops.js";
import { Exception, dropConnection, guardFrames, onReceive, retire, sessionHex, zkCode } from "./ops.js";
import { anyServerListening } from "./probe.js";

/** What the session needs of a node-zookeeper-client Client (a fake provides just this in unit tests). */
export type SessionClient = Pick<
  Client,
  "on" | "once" | "connect" | "close" | "getSessionId" | "getSessionPassword" | "getSessionTimeout" | "addAuthInfo"
>;

export interface SessionOptions {
  connect: string;
  sessionTimeoutMs: number;
  operationTimeoutMs: number;
  /** Digest credential sent on every connection of every client (ZooKeeper keeps it per connection). */
  auth?: DigestCredential | undefined;
  logger: Logger;
  /** Seams for tests: how a client is made, the clock of the lost-connection rule, the TCP reachability probe. */
  newClient?: (connect: string, o: { sessionTimeout: number; spinDelay: number; retries: number }) => SessionClient;
  clock?: Clock;
  probe?: (connect: string, timeoutMs: number) => Promise<boolean>;
}

const BACKEND = "zookeeper";
/** Pause between reconnect attempts of the client, and before retrying an op after connection loss. */
const SPIN_DELAY_MS = 250;
const RETRY_PAUSE_MS = 50;
const CLOSE_WAIT_MS = 2_000;
/** Longest wait for a server's answer to the connect handshake before the client moves on to the next server. */
const HANDSHAKE_MAX_MS = 2_000;
/** How long the reachability probe waits for each server's TCP handshake before calling it "maybe up". */
const PROBE_TIMEOUT_MS = 1_000;

export function unavailable(message: string, cause?: unknown): BackendUnavailableError {
  return new BackendUnavailableError({ backend: BACKEND, message, cause });
}

export class ZkSession {
  private client: SessionClient | undefined;
  private connected = false;
  private closed = false;
  private generation = 0;
  private readonly waiters = new Set<() => void>();
  private readonly renewListeners = new Set<() => void>();
  /** Aborts the pending "lost for longer than the session timeout" check. */
  private lostTimer: AbortController | undefined;
  /** Aborts the pending "no answer to the handshake" check of the current connection attempt. */
  private handshakeTimer: AbortController | undefined;
  /** Aborts the "connection hears nothing" check of the current connection. */
  private silenceTimer: AbortController | undefined;
  /** One reachability probe at a time, shared by every operation waiting for a connection. */
  private probing: Promise<boolean> | undefined;
  private readonly clock: Clock;

  constructor(private readonly o: SessionOptions) {
    this.clock = o.clock ?? REAL_CLOCK;
  }

  /** Calls `fn` each time a new session is established after an expiry. Returns an unsubscribe function. */
  onRenewed(fn: () => void): () => void {
    this.renewListeners.add(fn);
    return () => this.renewListeners.delete(fn);
  }

  /** The live session's id and password, for fault-injection tests only (never log the password). */
  credentials(): { id: Buffer; password: Buffer } | undefined {
    if (!this.client || !this.connected) return undefined;
    return { id: this.client.getSessionId(), password: this.client.getSessionPassword() };
  }

  deadline(): number {
    return Date.now() + this.o.operationTimeoutMs;
  }

  /** Hex id of the current session ("" before the first connection). */
  currentSessionHex(): string {
    return this.client && this.connected ? sessionHex(this.client) : "";
  }

  /**
   * Runs `fn` on a connected client. Connection loss is waited out (the session survives it) and the
   * call retried when `idempotent`; past `deadline` the call fails with BackendUnavailableError.
   * Other ZooKeeper errors (NO_NODE, NODE_EXISTS, ...) reach the caller unchanged.
   */
  async run<T>(what: string, fn: (c: Client) => Promise<T>, deadline: number, idempotent = true): Promise<T> {
    for (;;) {
      const c = (await this.connectedClient(what, deadline)) as Client;
      try {
        return await withDeadline(fn(c), deadline, what);
      } catch (e) {
        const code = zkCode(e);
        const lost = code === Exception.CONNECTION_LOSS || code === Exception.SESSION_EXPIRED;
        if (!lost) throw e;
        if (!idempotent || Date.now() >= deadline) throw unavailable(`${what}: connection lost`, e);
        await delay(RETRY_PAUSE_MS);
      }
    }
  }

  /** Resolves after `ms`, or as soon as a connection is (re-)established, whichever comes first (for retry loops). */
  async pause(ms: number): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.lostTimer?.abort();
    this.handshakeTimer?.abort();
    this.silenceTimer?.abort();
    const c = this.client;
    const connected = this.connected;
    this.client = undefined;
    this.connected = false;
    this.wake();
    if (!c) return;
    if (!connected) {
      // No server to say goodbye to: stop the client's reconnect attempts now (they would hold the process).
      retire(c);
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, CLOSE_WAIT_MS);
      c.once("disconnected", () => {
        clearTimeout(t);
        resolve();
      });
      c.close();
    });
  }

  private async connectedClient(what: string, deadline: number): Promise<SessionClient> {
    for (let probed = false; ; probed = true) {
      if (this.closed) throw unavailable(`${what}: registry closed`);
      const c = this.client ?? this.start();
      if (this.connected) return c;
      const left = deadline - Date.now();
      if (left <= 0) throw unavailable(`${what}: no ZooKeeper server of ${this.o.connect} reachable`);
      // Every server refusing connections will not answer before the deadline either: say so now, as Consul does.
      if (!probed && !(await this.someServerListening())) {
        if (this.connected) return c;
        throw unavailable(`${what}: no ZooKeeper server of ${this.o.connect} reachable (connection refused)`);
      }
      await this.pause(left);
    }
  }

  private someServerListening(): Promise<boolean> {
    if (this.probing) return this.probing;
    const probe = this.o.probe ?? anyServerListening;
    const p = probe(this.o.connect, PROBE_TIMEOUT_MS).finally(() => {
      if (this.probing === p) this.probing = undefined;
    });
    this.probing = p;
    return p;
  }

  private start(): SessionClient {
    const gen = ++this.generation;
    const log = this.o.logger;
    const make = this.o.newClient ?? createClient;
    const c = make(this.o.connect, { sessionTimeout: this.o.sessionTimeoutMs, spinDelay: SPIN_DELAY_MS, retries: 0 });
    let established = false;
    c.on("connected", () => {
      if (this.client !== c) return;
      this.lostTimer?.abort();
      this.handshakeTimer?.abort();
      this.connected = true;
      log.info({ session: sessionHex(c), timeoutMs: c.getSessionTimeout() }, "zookeeper connected");
      this.dropIfSilent(c);
      this.wake();
      if (!established) {
        established = true;
        if (gen > 1) for (const fn of [...this.renewListeners]) fn();
      }
    });
    c.on("disconnected", () => {
      if (this.client !== c || this.closed) return;
      this.connected = false;
      this.silenceTimer?.abort();
      log.warn({ session: sessionHex(c) }, "zookeeper connection lost; reconnecting on the same session");
      this.expireIfLost(c);
      this.boundHandshakes(c);
    });
    c.on("expired", () => {
      if (this.client !== c) return;
      log.warn({ session: sessionHex(c) }, "zookeeper session expired; opening a new session");
      this.renew(c);
    });
    this.client = c;
    this.connected = false;
    // Kept by the client and sent after the handshake of each connection, before any request made once connected.
    if (this.o.auth) c.addAuthInfo("digest", Buffer.from(`${this.o.auth.user}:${this.o.auth.password}`));
    guardFrames(c);
    c.connect();
    this.boundHandshakes(c);
    return c;
  }

  /**
   * Curator's rule: a connection lost for longer than the (negotiated) session timeout is an expired session, even
   * when no server said so. A server that lost its data refuses a client that has seen a newer zxid than its own
   * (node-zookeeper-client sends the last zxid it saw), so reconnecting on the same session could fail for ever;
   * a new client starts from zxid 0, and the subscribers re-create the ephemerals and re-arm their watches.
   */
  private expireIfLost(c: SessionClient): void {
    this.lostTimer?.abort();
    const timer = new AbortController();
    this.lostTimer = timer;
    const limitMs = c.getSessionTimeout();
    void this.clock.sleep(limitMs, timer.signal).then(() => {
      if (timer.signal.aborted || this.client !== c || this.closed || this.connected) return;
      this.o.logger.warn(
        { session: sessionHex(c), sessionTimeoutMs: limitMs },
        "zookeeper connection lost for longer than the session timeout; treating the session as expired and opening a new session",
      );
      this.renew(c);
    });
  }

  /**
   * The Java client's read timeout, which node-zookeeper-client lacks. The client pings after a third of the session
   * timeout without traffic, so a connection that hears nothing (no answer, no ping reply) for two thirds of it is
   * dead: a server gone from the network without a reset, or one that closed our session while taking our reconnect
   * and kept that socket open — it then drops every request unanswered, and the client would wait on it for ever.
   * The connection is dropped; the client reconnects and learns whether the session lives (if not: expired, renew).
   */
  private dropIfSilent(c: SessionClient): void {
    this.silenceTimer?.abort();
    const timer = new AbortController();
    this.silenceTimer = timer;
    const readTimeoutMs = Math.floor((c.getSessionTimeout() * 2) / 3);
    let heard = this.clock.now();
    const stop = onReceive(c, () => (heard = this.clock.now()));
    if (!stop) return;
    timer.signal.addEventListener("abort", stop, { once: true });
    void (async () => {
      for (let left = readTimeoutMs; left > 0; left = heard + readTimeoutMs - this.clock.now()) {
        await this.clock.sleep(left, timer.signal);
        // Bytes that arrived while the event loop was busy are read after the timers run: let them be heard first.
        await new Promise((resolve) => setImmediate(resolve));
        if (timer.signal.aborted) return;
      }
      if (this.client !== c || this.closed || !this.connected) return;
      this.o.logger.warn(
        { session: sessionHex(c), readTimeoutMs },
        "zookeeper server silent for two thirds of the session timeout; dropping the connection",
      );
      timer.abort();
      dropConnection(c);
    })();
  }

  /**
   * node-zookeeper-client waits for a server's answer to its connect request for ever: a server that accepts and
   * never answers (a hung or stopped JVM) would hold the client although other servers serve. As the Java client
   * does, an attempt gets the session timeout divided by the number of servers (here at most HANDSHAKE_MAX_MS);
   * then its socket is dropped and the client tries the next server. Runs until the client connects.
   */
  private boundHandshakes(c: SessionClient): void {
    this.handshakeTimer?.abort();
    const timer = new AbortController();
    this.handshakeTimer = timer;
    const servers = this.o.connect.split(",").length;
    const perAttemptMs = Math.min(HANDSHAKE_MAX_MS, Math.floor(this.o.sessionTimeoutMs / servers));
    const check = (): void => {
      void this.clock.sleep(perAttemptMs, timer.signal).then(() => {
        if (timer.signal.aborted || this.client !== c || this.closed || this.connected) return;
        dropConnection(c);
        check();
      });
    };
    check();
  }

  /** The session of `c` is gone: drop it and connect a new client (whose first connection tells the subscribers). */
  private renew(c: SessionClient): void {
    this.lostTimer?.abort();
    this.handshakeTimer?.abort();
    this.silenceTimer?.abort();
    this.connected = false;
    this.client = undefined;
    retire(c);
    if (!this.closed) this.start();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(unavailable(`${what}: no answer in time`)), Math.max(0, deadline - Date.now()));
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
