// Fuzz packets for the DNS shim: random bytes and mutations of valid queries (truncated, bit flips, bad
// counts, compression loops, oversized names, every qtype, zero length, odd EDNS options). Seeded.
import { makeQuery } from "./dns.js";

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ["web.service.consul", "_web._tcp.service.consul", "primary.web.service.consul", "0a000001.addr.dc1.consul", "1.0.0.10.in-addr.arpa", "consul", "example.com", "nope.service.dc2.consul"];

export function fuzzPacket(rand: () => number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  const base = makeQuery(NAMES[int(NAMES.length)]!, int(4) === 0 ? int(65536) : [1, 28, 33, 255, 12, 6, 2][int(7)]!, { id: int(65536), edns: int(2) ? 512 + int(4000) : undefined, dnssecOk: int(2) === 0 });
  switch (int(12)) {
    case 0: // random bytes
      return Buffer.from(Array.from({ length: int(600) }, () => int(256)));
    case 1: // zero length or header only
      return base.subarray(0, int(2) ? 0 : 12);
    case 2: // truncated anywhere
      return base.subarray(0, int(base.length));
    case 3: {
      // bit flips
      const b = Buffer.from(base);
      for (let i = int(8) + 1; i > 0; i--) b[int(b.length)]! ^= 1 << int(8);
      return b;
    }
    case 4: {
      // bad counts
      const b = Buffer.from(base);
      b.writeUInt16BE(int(65536), 4 + 2 * int(4));
      return b;
    }
    case 5: // a compression pointer loop in the question, and one pointing at itself
      return Buffer.concat([base.subarray(0, 12), Buffer.from(int(2) ? [0xc0, 12] : [3, 0x61, 0x62, 0x63, 0xc0, 12]), Buffer.from([0, 1, 0, 1])]);
    case 6: {
      // oversized names: long labels, many labels
      const labels = Array.from({ length: int(200) + 1 }, () => "a".repeat(int(70) + 1));
      const name = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([Math.min(l.length, 255)]), Buffer.from(l)])), Buffer.from([0])]);
      return Buffer.concat([base.subarray(0, 12), name, Buffer.from([0, 1, 0, 1])]);
    }
    case 7: {
      // EDNS with random options (and random rdlength)
      const opts = Buffer.from(Array.from({ length: int(64) }, () => int(256)));
      const opt = Buffer.alloc(11);
      opt.writeUInt16BE(41, 1);
      opt.writeUInt16BE(int(65536), 3);
      opt.writeUInt32BE(int(2) ? 0 : int(2 ** 32), 5);
      opt.writeUInt16BE(int(3) ? opts.length : int(65536), 9);
      const q = makeQuery(NAMES[int(NAMES.length)]!, 1, { id: int(65536) });
      q.writeUInt16BE(1, 10);
      return Buffer.concat([q, opt, opts]);
    }
    case 8: {
      // OPT owned by a name, or two OPTs, or an OPT whose name is a pointer loop
      const q = makeQuery("web.service.consul", 1, { edns: 1232 });
      const tail = q.subarray(q.length - 11);
      q.writeUInt16BE(2, 10);
      return Buffer.concat([q, int(2) ? tail : Buffer.concat([Buffer.from([0xc0, q.length]), tail.subarray(1)])]);
    }
    case 9: {
      // answer/authority records in a query, some malformed
      const b = Buffer.from(base);
      b.writeUInt16BE(int(3), 6);
      b.writeUInt16BE(int(3), 8);
      return Buffer.concat([b, Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, int(2) ? 4 : 200, 1, 2, 3, 4])]);
    }
    case 10: {
      // flags: QR, opcodes, rcode bits, case mix
      const b = Buffer.from(base);
      b[2] = int(256);
      b[3] = int(256);
      for (let i = 12; i < b.length - 4; i++) if (int(2) && b[i]! >= 0x61 && b[i]! <= 0x7a) b[i]! -= 0x20;
      return b;
    }
    default:
      return base;
  }
}
