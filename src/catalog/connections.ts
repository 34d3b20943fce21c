// A bound on the catalog server's open connections, so idle sockets cannot use up the process's file descriptors
// (in `portolan up` the registrator and the DNS shim open theirs in the same process). At the bound a new
// connection takes the place of the oldest idle one (no request in progress: a keep-alive socket between requests,
// or one that never sent a request); when every connection is busy (e.g. event streams) the new one is closed.
import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Open connections at most, by default: four times the 1,000 event-stream clients the server is tested with. */
export const DEFAULT_MAX_CONNECTIONS = 4096;

export type ConnectionOutcome = "evicted" | "refused";

export class ConnectionLimit {
  /** Insertion order is age order: the first idle socket found is the oldest. */
  private readonly open = new Set<Socket>();
  private readonly busy = new Map<Socket, number>();

  constructor(
    readonly max: number,
    private readonly closed: (outcome: ConnectionOutcome) => void = () => {},
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Registers a new connection; false when it was closed because every slot is busy. */
  admit(socket: Socket): boolean {
    if (this.open.size >= this.max) {
      const idle = this.oldestIdle();
      if (idle === undefined) {
        socket.destroy();
        this.closed("refused");
        return false;
      }
      this.forget(idle);
      idle.destroy();
      this.closed("evicted");
    }
    this.open.add(socket);
    socket.once("close", () => this.forget(socket));
    return true;
  }

  /** A request started on `socket`; `done` is called when its response is finished or abandoned. */
  started(socket: Socket): () => void {
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const n = (this.busy.get(socket) ?? 1) - 1;
      if (n > 0) this.busy.set(socket, n);
      else this.busy.delete(socket);
    };
  }

  /** Applies the bound to `server`'s connections and requests. */
  attach(server: Server): void {
    server.on("connection", (socket: Socket) => void this.admit(socket));
    server.prependListener("request", (req, res) => {
      const done = this.started(req.socket);
      res.once("finish", done);
      res.once("close", done);
    });
  }

  private oldestIdle(): Socket | undefined {
    for (const s of this.open) if (!this.busy.has(s)) return s;
    return undefined;
  }

  private forget(socket: Socket): void {
    this.open.delete(socket);
    this.busy.delete(socket);
  }
}
