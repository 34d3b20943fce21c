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

function askUdp(r: HostPort, query: Buffer, timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(isIP(r.host) === 6 ? "udp6" : "udp4");
    const timer = setTimeout(() => done(undefined), timeoutMs);
    let finished = false;
    function done(reply: Buffer | undefined) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
      sock.close();
      resolve(reply);
    }
    const stop = () => done(undefined);
    signal.addEventListener("abort", stop, { once: true });
    sock.on("error", () => done(undefined));
    sock.on("message", (msg, from) => {
      // Same ID, from the recursor itself, and a response: anything else is ignored.
      if (from.port === r.port && msg.length >= 12 && msg[0] === query[0] && msg[1] === query[1] && (msg[2]! & 0x80) !== 0) done(msg);
    });
    sock.send(query, r.port, r.host, (err) => err && done(undefined));
  });
}

/** Over TCP (the client came over TCP, e.g. after a truncated answer): one length-prefixed exchange. */
function askTcp(r: HostPort, query: Buffer, timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: r.host, port: r.port });
    const timer = setTimeout(() => done(undefined), timeoutMs);
    let data = Buffer.alloc(0);
    function done(reply: Buffer | undefined) {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
      sock.destroy();
      resolve(reply);
    }
    const stop = () => done(undefined);
    signal.addEventListener("abort", stop, { once: true });
    sock.on("error", () => done(undefined));
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
