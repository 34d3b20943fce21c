// Forwarding to --recursor servers: the query bytes go out as they came, the first recursor that answers
// (same ID, from its address) wins; each gets `timeoutMs`, so a dead recursor costs bounded time.
import { createSocket } from "node:dgram";
import { connect, isIP } from "node:net";
import type { HostPort } from "./options.js";

export class Forwarder {
  private inFlight = 0;
  /** Aborted by close(): queries in flight end at once (no recursor timer outlives the server). */
  private readonly closing = new AbortController();

  constructor(
    private readonly recursors: readonly HostPort[],
    private readonly timeoutMs: number,
    private readonly maxInFlight: number,
  ) {}

  /** The first recursor's response, or undefined when none answered in time (or too many are in flight). */
  async forward(query: Buffer, transport: "udp" | "tcp"): Promise<Buffer | undefined> {
    if (this.inFlight >= this.maxInFlight || this.closing.signal.aborted) return undefined;
    this.inFlight++;
    try {
      for (const r of this.recursors) {
        const reply = await (transport === "udp" ? askUdp : askTcp)(r, query, this.timeoutMs, this.closing.signal);
        if (reply || this.closing.signal.aborted) return reply;
      }
      return undefined;
    } finally {
      this.inFlight--;
    }
  }

  close(): void {
    this.closing.abort();
  }
}

/**
 * One exchange with a recursor: `run` gets the socket's `done`; the promise settles once, with the reply or
 * undefined (timeout, abort, socket error), and the socket is closed whichever comes first.
 */
function exchange<S extends { on(event: "error", fn: () => void): unknown }>(
  sock: S,
  close: (sock: S) => void,
  timeoutMs: number,
  signal: AbortSignal,
  run: (done: (reply: Buffer | undefined) => void) => void,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let finished = false;
    const done = (reply: Buffer | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
      close(sock);
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const stop = () => done(undefined);
    signal.addEventListener("abort", stop, { once: true });
    sock.on("error", stop);
    run(done);
  });
}

function askUdp(r: HostPort, query: Buffer, timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
  const sock = createSocket(isIP(r.host) === 6 ? "udp6" : "udp4");
  return exchange(sock, (s) => s.close(), timeoutMs, signal, (done) => {
    sock.on("message", (msg, from) => {
      // Same ID, from the recursor itself, and a response: anything else is ignored.
      if (from.port === r.port && msg.length >= 12 && msg[0] === query[0] && msg[1] === query[1] && (msg[2]! & 0x80) !== 0) done(msg);
    });
    sock.send(query, r.port, r.host, (err) => err && done(undefined));
  });
}

/** Over TCP (the client came over TCP, e.g. after a truncated answer): one length-prefixed exchange. */
function askTcp(r: HostPort, query: Buffer, timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
  const sock = connect({ host: r.host, port: r.port });
  return exchange(sock, (s) => s.destroy(), timeoutMs, signal, (done) => {
    let data = Buffer.alloc(0);
    sock.on("end", () => done(undefined));
    sock.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) done(data.subarray(2, 2 + data.readUInt16BE(0)));
    });
    const frame = Buffer.allocUnsafe(query.length + 2);
    frame.writeUInt16BE(query.length, 0);
    query.copy(frame, 2);
    sock.write(frame);
  });
}
