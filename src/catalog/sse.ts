// /v1/events: server-sent events. A client gets a `snapshot` event (all instances and the recent changes), then
// `change` (with the change entries it made), `refused` and `backend` events. Every event has an id; a client reconnecting with Last-Event-ID gets exactly the events it missed, or a
// fresh snapshot when they are no longer in the state's event log (or the server restarted).
// Each event is serialised once and the same string written to every client; one heartbeat timer serves all.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CatalogState, StreamEvent } from "./state.js";

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A client whose unsent output exceeds this is disconnected (it will resume with Last-Event-ID). */
export const MAX_CLIENT_BACKLOG = 8 * 1024 * 1024;
/**
 * Unsent output of all clients together, at most: over it, the clients stuck longest (longest since their output
 * last drained, at least STUCK_MS) are disconnected until it fits. The snapshot's bytes are shared by every client
 * that has not read them, so this counts them once per client: it errs towards dropping.
 */
export const MAX_TOTAL_BACKLOG = 64 * 1024 * 1024;
/** Only a client whose output has not drained for this long counts as stuck (a new one is still reading its snapshot). */
export const STUCK_MS = 10_000;

export class EventStream {
  /** Each client with when its output last drained (or it connected). */
  private readonly clients = new Map<ServerResponse, number>();
  private readonly wires = new WeakMap<StreamEvent, string>();
  /** Bytes, not a string: every client's write then refers to the same memory (a string is encoded per write). */
  private snapshotWire: { generation: number; bytes: Buffer } | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly state: CatalogState,
    heartbeatMs = DEFAULT_HEARTBEAT_MS,
    private readonly maxTotalBacklog = MAX_TOTAL_BACKLOG,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = state.subscribe((e) => this.broadcast(this.wire(e)));
    this.heartbeat = setInterval(() => this.broadcast(": keep-alive\n\n"), heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  handle(req: IncomingMessage, res: ServerResponse, lastEventId: string | undefined): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true, 30_000);
    const missed = this.state.eventsAfter(lastEventId);
    let text = "retry: 1000\n\n";
    if (missed) for (const e of missed) text += this.wire(e);
    this.clients.set(res, this.now());
    res.write(text);
    if (!missed) res.write(this.snapshot());
    res.on("drain", () => this.clients.has(res) && this.clients.set(res, this.now()));
    const drop = () => this.clients.delete(res);
    res.on("close", drop);
    res.on("error", drop);
    this.bound();
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const c of this.clients.keys()) c.end();
    this.clients.clear();
  }

  private broadcast(text: string): void {
    for (const c of this.clients.keys()) {
      if (c.writableLength > MAX_CLIENT_BACKLOG) {
        this.drop(c);
        continue;
      }
      c.write(text);
    }
    this.bound();
  }

  /** Keeps the clients' unsent output under the total: the clients stuck longest go first. */
  private bound(): void {
    let total = 0;
    for (const c of this.clients.keys()) total += c.writableLength;
    if (total <= this.maxTotalBacklog) return;
    const since = this.now() - STUCK_MS;
    const stuck = [...this.clients].filter(([c, drained]) => c.writableLength > 0 && drained <= since).sort((a, b) => a[1] - b[1]);
    for (const [c] of stuck) {
      if (total <= this.maxTotalBacklog) break;
      total -= c.writableLength;
      this.drop(c);
    }
  }

  private drop(c: ServerResponse): void {
    this.clients.delete(c);
    c.destroy();
  }

  private wire(e: StreamEvent): string {
    let w = this.wires.get(e);
    if (w === undefined) {
      w = `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
      this.wires.set(e, w);
    }
    return w;
  }

  private snapshot(): Buffer {
    const g = this.state.generation;
    if (this.snapshotWire?.generation !== g) {
      const s = this.state.snapshotEvent();
      const data = JSON.stringify({ version: s.version, backend: s.backend, loaded: s.loaded, instances: s.instances, changes: this.state.recentChanges(), refusals: this.state.refusals() });
      this.snapshotWire = { generation: g, bytes: Buffer.from(`id: ${s.id}\nevent: snapshot\ndata: ${data}\n\n`) };
    }
    return this.snapshotWire.bytes;
  }
}
