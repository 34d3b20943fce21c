// /v1/events: server-sent events. A client gets a `snapshot` event (all instances), then `change` and `backend`
// events. Every event has an id; a client reconnecting with Last-Event-ID gets exactly the events it missed, or a
// fresh snapshot when they are no longer in the state's event log (or the server restarted).
// Each event is serialised once and the same string written to every client; one heartbeat timer serves all.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CatalogState, StreamEvent } from "./state.js";

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A client whose unsent output exceeds this is disconnected (it will resume with Last-Event-ID). */
export const MAX_CLIENT_BACKLOG = 8 * 1024 * 1024;

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly wires = new WeakMap<StreamEvent, string>();
  private snapshotWire: { generation: number; text: string } | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly state: CatalogState,
    heartbeatMs = DEFAULT_HEARTBEAT_MS,
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
    else text += this.snapshot();
    res.write(text);
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    res.on("close", drop);
    res.on("error", drop);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private broadcast(text: string): void {
    for (const c of this.clients) {
      if (c.writableLength > MAX_CLIENT_BACKLOG) {
        this.clients.delete(c);
        c.destroy();
        continue;
      }
      c.write(text);
    }
  }

  private wire(e: StreamEvent): string {
    let w = this.wires.get(e);
    if (w === undefined) {
      w = `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
      this.wires.set(e, w);
    }
    return w;
  }

  private snapshot(): string {
    const g = this.state.generation;
    if (this.snapshotWire?.generation !== g) {
      const s = this.state.snapshotEvent();
      const data = JSON.stringify({ version: s.version, backend: s.backend, loaded: s.loaded, instances: s.instances });
      this.snapshotWire = { generation: g, text: `id: ${s.id}\nevent: snapshot\ndata: ${data}\n\n` };
    }
    return this.snapshotWire.text;
  }
}
