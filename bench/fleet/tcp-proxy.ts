// A loopback TCP proxy between one fleet host and its backend (its Consul client agent, or a ZooKeeper member):
// cut() partitions the host (bytes stop flowing both ways, new connections hang; nothing is reset, as with a
// dropped link), restore() heals it. With `countZooKeeper`, it counts the requests of the ZooKeeper protocol the
// client sends (length-prefixed frames; pings apart) and the bytes the server answers.
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpCounts {
  /** Client frames that are requests (not pings, not the connect handshake). */
  requests: number;
  pings: number;
  /** Bytes from the server to the client. */
  bytesIn: number;
  /** Bytes from the client to the server. */
  bytesOut: number;
}

const ZK_PING = 11;

export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private held: Socket[] = [];
  private isCut = false;
  counts: TcpCounts = { requests: 0, pings: 0, bytesIn: 0, bytesOut: 0 };

  constructor(
    private readonly target: { host: string; port: number },
    /** `from`: the source address of connections to the target (a host's own address, as its backend sees it). */
    private readonly opts: { countZooKeeper?: boolean; from?: string } = {},
  ) {}

  port = 0;

  async listen(host: string, port: number): Promise<void> {
    this.port = port;
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => resolve());
    });
  }

  get cutOff(): boolean {
    return this.isCut;
  }

  cut(): void {
    this.isCut = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  restore(): void {
    this.isCut = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
    const held = this.held;
    this.held = [];
    for (const c of held) if (!c.destroyed) this.pipe(c);
  }

  take(): TcpCounts {
    const c = this.counts;
    this.counts = { requests: 0, pings: 0, bytesIn: 0, bytesOut: 0 };
    return c;
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    for (const c of this.held) c.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    client.on("error", () => client.destroy());
    if (this.isCut) {
      client.pause();
      this.held.push(client);
      return;
    }
    this.pipe(client);
  }

  private pipe(client: Socket): void {
    const upstream = connect({ port: this.target.port, host: this.target.host, ...(this.opts.from !== undefined && { localAddress: this.opts.from }) });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const frames = this.opts.countZooKeeper ? new FrameCounter(() => this.counts) : undefined;
    client.on("data", (d: Buffer) => {
      this.counts.bytesOut += d.length;
      frames?.push(d);
      if (!upstream.write(d)) client.pause();
    });
    upstream.on("data", (d: Buffer) => {
      this.counts.bytesIn += d.length;
      if (!client.write(d)) upstream.pause();
    });
    client.on("drain", () => !this.isCut && upstream.resume());
    upstream.on("drain", () => !this.isCut && client.resume());
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    upstream.on("error", end);
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    if (this.isCut) {
      client.pause();
      upstream.pause();
    }
  }
}

/** Splits the client's stream into ZooKeeper frames (4-byte big-endian length) and counts requests and pings. */
class FrameCounter {
  private buf: Buffer = Buffer.alloc(0);
  private first = true;
  constructor(private readonly counts: () => TcpCounts) {}

  push(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 4) {
      const len = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + len) return;
      const frame = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      if (this.first) {
        this.first = false; // ConnectRequest: no header
        continue;
      }
      const type = frame.length >= 8 ? frame.readInt32BE(4) : -1;
      if (type === ZK_PING) this.counts().pings++;
      else this.counts().requests++;
    }
  }
}
