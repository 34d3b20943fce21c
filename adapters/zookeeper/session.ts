// One ZooKeeper session at a time: connects lazily, waits out connection loss (same session),
// and on expiry builds a new client and tells subscribers so they re-create ephemerals and re-arm watches.
import { createClient } from "node-zookeeper-client";
import { BackendUnavailableError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { delay } from "../../src/core/util.js";
import type { Client } from "./ops.js";
import { Exception, sessionHex, zkCode } from "./ops.js";

export interface SessionOptions {
  connect: string;
  sessionTimeoutMs: number;
  operationTimeoutMs: number;
  logger: Logger;
}

const BACKEND = "zookeeper";
/** Pause between reconnect attempts of the client, and before retrying an op after connection loss. */
const SPIN_DELAY_MS = 250;
const RETRY_PAUSE_MS = 50;
const CLOSE_WAIT_MS = 2_000;

export function unavailable(message: string, cause?: unknown): BackendUnavailableError {
  return new BackendUnavailableError({ backend: BACKEND, message, cause });
}

export class ZkSession {
  private client: Client | undefined;
  private connected = false;
  private closed = false;
  private generation = 0;
  private readonly waiters = new Set<() => void>();
  private readonly renewListeners = new Set<() => void>();

  constructor(private readonly o: SessionOptions) {}

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
      const c = await this.connectedClient(what, deadline);
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

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    this.wake();
    if (!c) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, CLOSE_WAIT_MS);
      c.once("disconnected", () => {
        clearTimeout(t);
        resolve();
      });
      c.close();
    });
  }

  private async connectedClient(what: string, deadline: number): Promise<Client> {
    for (;;) {
      if (this.closed) throw unavailable(`${what}: registry closed`);
      const c = this.client ?? this.start();
      if (this.connected) return c;
      const left = deadline - Date.now();
      if (left <= 0) throw unavailable(`${what}: no ZooKeeper server of ${this.o.connect} reachable`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  private start(): Client {
    const gen = ++this.generation;
    const log = this.o.logger;
    const c = createClient(this.o.connect, { sessionTimeout: this.o.sessionTimeoutMs, spinDelay: SPIN_DELAY_MS, retries: 0 });
    let established = false;
    c.on("connected", () => {
      if (this.client !== c) return;
      this.connected = true;
      log.info({ session: sessionHex(c), timeoutMs: c.getSessionTimeout() }, "zookeeper connected");
      this.wake();
      if (!established) {
        established = true;
        if (gen > 1) for (const fn of [...this.renewListeners]) fn();
      }
    });
    c.on("disconnected", () => {
      if (this.client !== c || this.closed) return;
      this.connected = false;
      log.warn({ session: sessionHex(c) }, "zookeeper connection lost; reconnecting on the same session");
    });
    c.on("expired", () => {
      if (this.client !== c) return;
      log.warn({ session: sessionHex(c) }, "zookeeper session expired; opening a new session");
      this.connected = false;
      this.client = undefined;
      c.close();
      if (!this.closed) this.start();
    });
    this.client = c;
    this.connected = false;
    c.connect();
    return c;
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
