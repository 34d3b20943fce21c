// The socket shell around the Responder: UDP and TCP on one port. TCP carries length-prefixed messages,
// pipelined (every complete message in a read is answered), closed after `tcpIdleMs` without a complete
// query (a slow sender cannot hold a connection by trickling bytes), at most `maxTcpConnections` at once.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { createServer, isIP, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Logger } from "../core/log.js";
import type { CatalogSnapshot } from "../core/model.js";
import { Forwarder } from "./forward.js";
import type { DnsOptions, HostPort } from "./options.js";
import { Responder, type Transport } from "./respond.js";
import { DnsStats, type DnsStatsSnapshot } from "./stats.js";
import type { Query } from "./wire.js";

/** A TCP client that does not read its answers: closed once this much is queued for it. */
const MAX_TCP_BACKLOG = 1 << 20;
const UDP_BUFFER_BYTES = 4 << 20;
/** Attempts at finding a port free for both UDP and TCP when asked for port 0. */
const BIND_ATTEMPTS = 10;

/** A query on its way to a recursor. */
interface Pending {
  query: Query;
  /** performance.now() when it arrived. */
  t0: number;
}

/**
 * The listen address with a name ("localhost") resolved to the address the sockets bind (UDP binds only to an
 * address). Done with the other option checks, so a name that does not resolve is refused before anything starts.
 */
export async function resolveListen(opts: DnsOptions): Promise<DnsOptions> {
  if (isIP(opts.listen.host)) return opts;
  return { ...opts, listen: { ...opts.listen, host: (await lookup(opts.listen.host)).address } };
}

export interface DnsServerDeps {
  logger: Logger;
  random?: () => number;
}

export class DnsServer {
  private readonly responder: Responder;
  private readonly forwarder: Forwarder;
  private readonly counters = new DnsStats();
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly conns = new Set<Socket>();
  private closed = false;

  constructor(
    private readonly opts: DnsOptions,
    private readonly deps: DnsServerDeps,
  ) {
    this.responder = new Responder(opts, deps.random);
    this.forwarder = new Forwarder(opts.recursors, opts.recursorTimeoutMs, opts.maxForwards);
  }

  /** A new catalog snapshot; answers change with the next query. */
  update(snapshot: CatalogSnapshot): void {
    this.responder.update(snapshot);
  }

  stats(): DnsStatsSnapshot {
    return this.counters.snapshot(this.responder.cacheSize, this.responder.version);
  }

  /** Binds UDP and TCP on the same address; with port 0 both get the same free port. Returns it. */
  async listen(): Promise<HostPort> {
    const { port } = this.opts.listen;
    // A name ("localhost") is resolved once: UDP sockets bind only to an address (and replies skip lookups).
    const host = isIP(this.opts.listen.host) ? this.opts.listen.host : (await lookup(this.opts.listen.host)).address;
    for (let attempt = 1; ; attempt++) {
      const udp = await bindUdp(host, port);
      const bound = udp.address().port;
      try {
        this.tcp = await this.bindTcp(host, bound);
      } catch (err) {
        udp.close();
        if (port === 0 && attempt < BIND_ATTEMPTS && (err as NodeJS.ErrnoException).code === "EADDRINUSE") continue;
        throw err;
      }
      this.udp = udp;
      // Room for bursts (the kernel caps this at net.core.rmem_max/wmem_max).
      try {
        udp.setRecvBufferSize(UDP_BUFFER_BYTES);
        udp.setSendBufferSize(UDP_BUFFER_BYTES);
      } catch {
        // not allowed here: the default buffers work too
      }
      udp.on("message", (msg, rinfo) => {
        const reply = this.handle(msg, "udp");
        if (reply === undefined) return;
        if ("t0" in reply) this.forward(msg, reply, "udp", (late) => udp.send(late, rinfo.port, rinfo.address));
        else udp.send(reply, rinfo.port, rinfo.address);
      });
      udp.on("error", (err) => this.deps.logger.warn({ err: err.message }, "udp socket error"));
      return { host, port: bound };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.forwarder.close();
    for (const c of this.conns) c.destroy();
    // In a cluster worker the sockets may already be closed (the primary disconnected it): nothing to do then.
    const { udp, tcp } = this;
    await Promise.all([
      new Promise<void>((resolve) => {
        if (!udp) return resolve();
        try {
          udp.close(() => resolve());
        } catch {
          resolve();
        }
      }),
      new Promise<void>((resolve) => (tcp?.listening ? tcp.close(() => resolve()) : resolve())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }

  /** The reply to send now, a query to forward, or undefined (dropped). */
  private handle(msg: Buffer, transport: Transport): Buffer | Pending | undefined {
    const t0 = performance.now();
    let r;
    try {
      r = this.responder.respond(msg, transport);
    } catch (err) {
      // A bug, not bad input (the reader never throws): answer nothing, keep serving, say so.
      this.counters.dropped++;
      this.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "query handling failed");
      return undefined;
    }
    if (r.kind === "drop") {
      this.counters.dropped++;
      return undefined;
    }
    if (r.kind === "forward") return { query: r.query, t0 };
    this.counters.record(r.qtype, r.rcode, r.cached, (performance.now() - t0) * 1000);
    return r.message;
  }

  private forward(msg: Buffer, { query: q, t0 }: Pending, transport: Transport, send: (reply: Buffer) => void): void {
    this.counters.forwarded++;
    void this.forwarder.forward(msg, transport).then((reply) => {
      // Stopped meanwhile: the socket is gone, nobody to answer.
      if (this.closed) return;
      if (!reply) this.counters.forwardFailures++;
      const out = reply ? this.responder.relayed(reply, msg, q, transport) : this.responder.servfail(msg, q, transport);
      send(out);
      this.counters.record(q.qtype, out[3]! & 0xf, false, (performance.now() - t0) * 1000);
    });
  }

  private bindTcp(host: string, port: number): Promise<Server> {
    const server = createServer((sock) => this.serveTcp(sock));
    server.maxConnections = this.opts.maxTcpConnections;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, exclusive: false }, () => {
        server.off("error", reject);
        server.on("error", (err) => this.deps.logger.warn({ err: err.message }, "tcp server error"));
        resolve(server);
      });
    });
  }

  private serveTcp(sock: Socket): void {
    this.counters.tcpAccepted++;
    this.counters.tcpOpen++;
    this.conns.add(sock);
    sock.setNoDelay(true);
    const idle = setTimeout(() => {
      this.counters.tcpClosedIdle++;
      sock.destroy();
    }, this.opts.tcpIdleMs);
    let pending: Buffer = Buffer.alloc(0);
    const send = (reply: Buffer) => {
      if (sock.destroyed) return;
      const frame = Buffer.allocUnsafe(reply.length + 2);
      frame.writeUInt16BE(reply.length, 0);
      reply.copy(frame, 2);
      sock.write(frame);
      // Only answers count as activity: bytes that never complete a query do not keep a connection open.
      idle.refresh();
      if (sock.writableLength > MAX_TCP_BACKLOG) sock.destroy();
    };
    sock.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < len + 2) break;
        const msg = pending.subarray(2, len + 2);
        pending = pending.subarray(len + 2);
        const reply = this.handle(msg, "tcp");
        if (reply === undefined) continue;
        if ("t0" in reply) this.forward(msg, reply, "tcp", send);
        else send(reply);
      }
    });
    sock.on("error", () => sock.destroy());
    sock.on("close", () => {
      clearTimeout(idle);
      this.conns.delete(sock);
      this.counters.tcpOpen--;
    });
  }
}

function bindUdp(host: string, port: number): Promise<UdpSocket> {
  const family = isIP(host) === 6 ? 6 : 4;
  // Replies go to the sender's IP literal: skip dgram's name lookup (a dns.lookup and a tick per reply).
  const lookup = (address: string, _o: unknown, cb: (err: null, address: string, family: number) => void) => cb(null, address, family);
  const sock = createSocket({ type: family === 6 ? "udp6" : "udp4", lookup: lookup as never });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind({ address: host, port, exclusive: false }, () => {
      sock.off("error", reject);
      resolve(sock);
    });
  });
}
