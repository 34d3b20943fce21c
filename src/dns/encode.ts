// The response encoder (pure): header, the question as sent, records, OPT. Owner names and the names in
// PTR/NS/SOA data are compressed; SRV targets never are (RFC 2782; c-ares 1.34.7+ rejects compressed ones).
// Honest truncation: answer or authority records that do not fit set TC; additional records that do not fit
// are dropped without TC (RFC 2181 9).
import { isIP } from "node:net";
import { expandIpv6 } from "./names.js";
import type { ResourceRecord } from "./records.js";
import { FLAG, HEADER_SIZE, TYPE } from "./wire.js";

/** The UDP payload size this server advertises in its OPT records. */
export const OUR_UDP_SIZE = 4096;
const OPT_SIZE = 11;
const CLASS_IN = 1;

export interface EncodeInput {
  id: number;
  /** Header flags without TC and RCODE (QR, opcode, AA, RD, RA as wanted). */
  flags: number;
  /** RCODE, up to 12 bits (the high 8 go into OPT). */
  rcode: number;
  /** Question bytes as sent (name, type, class), or undefined for none. */
  question: Uint8Array | undefined;
  answer: readonly ResourceRecord[];
  authority: readonly ResourceRecord[];
  additional: readonly ResourceRecord[];
  /** Write an OPT record (the query had one). */
  edns: { dnssecOk: boolean } | undefined;
  /** Largest message allowed (512 without EDNS, the EDNS size, 65535 over TCP). */
  maxSize: number;
}

class Writer {
  readonly buf: Buffer;
  off = 0;
  /** Lower-case name suffix -> offset of its first label, for compression pointers. */
  private readonly names = new Map<string, number>();

  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }

  u16(v: number): void {
    this.buf.writeUInt16BE(v, this.off);
    this.off += 2;
  }

  u32(v: number): void {
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.off);
    this.off += b.length;
  }

  /** Remembers the suffixes of a wire name already written at `at` (the question). */
  rememberWire(at: number): void {
    const labels: { text: string; off: number }[] = [];
    let p = at;
    while (this.buf[p]! !== 0) {
      const len = this.buf[p]!;
      labels.push({ text: this.buf.toString("latin1", p + 1, p + 1 + len).toLowerCase(), off: p });
      p += len + 1;
    }
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).map((l) => l.text).join(".");
      if (!this.names.has(suffix)) this.names.set(suffix, labels[i]!.off);
    }
  }

  name(name: string, compress: boolean): void {
    const labels = name === "" ? [] : name.split(".");
    for (let i = 0; i < labels.length; i++) {
      const suffix = i === 0 ? name : labels.slice(i).join(".");
      const at = this.names.get(suffix);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (at === undefined && this.off < 0x4000) this.names.set(suffix, this.off);
      const label = labelBytes(labels[i]!);
      this.buf[this.off++] = label.length;
      this.bytes(label);
    }
    this.buf[this.off++] = 0;
  }
}

/** A label's bytes; `\DDD` escapes (from names we could not print) are decoded. */
function labelBytes(label: string): Buffer {
  if (!label.includes("\\")) return Buffer.from(label, "latin1");
  return Buffer.from(label.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(Number(d))), "latin1");
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split(".").map(Number));
  const out = Buffer.alloc(16);
  expandIpv6(address).forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

const TYPE_CODE: Record<ResourceRecord["type"], number> = { A: TYPE.A, AAAA: TYPE.AAAA, SRV: TYPE.SRV, PTR: TYPE.PTR, NS: TYPE.NS, SOA: TYPE.SOA };

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name, true);
  w.u16(TYPE_CODE[rr.type]);
  w.u16(CLASS_IN);
  w.u32(rr.ttl);
  const lenAt = w.off;
  w.u16(0);
  switch (rr.type) {
    case "A":
    case "AAAA":
      w.bytes(ipBytes(rr.address));
      break;
    case "SRV":
      w.u16(rr.priority);
      w.u16(rr.weight);
      w.u16(rr.port);
      w.name(rr.target, false);
      break;
    case "PTR":
    case "NS":
      w.name(rr.target, true);
      break;
    case "SOA":
      w.name(rr.mname, true);
      w.name(rr.rname, true);
      for (const v of [rr.serial, rr.refresh, rr.retry, rr.expire, rr.minimum]) w.u32(v);
      break;
  }
  w.buf.writeUInt16BE(w.off - lenAt - 2, lenAt);
}

/** Largest encoded size of one record, for the scratch buffer (names <= 255 bytes twice + fixed parts). */
const MAX_RECORD = 255 * 2 + 10 + 20;

export function encodeResponse(m: EncodeInput): Buffer {
  const reserve = m.edns ? OPT_SIZE : 0;
  const limit = Math.max(m.maxSize, HEADER_SIZE + (m.question?.length ?? 0) + reserve);
  const records = m.answer.length + m.authority.length + m.additional.length;
  // Room for every record (an upper bound), plus one record written past the limit before it is rolled back.
  const w = new Writer(Math.min(limit, HEADER_SIZE + (m.question?.length ?? 0) + reserve + records * MAX_RECORD) + MAX_RECORD);
  const room = limit - reserve;
  w.u16(m.id);
  w.u16(0); // flags, written last
  w.u16(m.question ? 1 : 0);
  w.off = HEADER_SIZE;
  if (m.question) {
    w.bytes(m.question);
    w.rememberWire(HEADER_SIZE);
  }
  let truncated = false;
  const counts = [0, 0, 0];
  const sections = [m.answer, m.authority, m.additional];
  for (let s = 0; s < 3 && !truncated; s++) {
    for (const rr of sections[s]!) {
      const before = w.off;
      writeRecord(w, rr);
      if (w.off > room) {
        w.off = before;
        // Dropping additional records is allowed without TC (RFC 2181 9).
        if (s < 2) truncated = true;
        else s = 3;
        break;
      }
      counts[s]!++;
    }
  }
  if (m.edns) {
    w.buf[w.off++] = 0;
    w.u16(TYPE.OPT);
    w.u16(OUR_UDP_SIZE);
    w.u32(((m.rcode >> 4) << 24) | (m.edns.dnssecOk ? 0x8000 : 0));
    w.u16(0);
  }
  const flags = (m.flags & ~(FLAG.TC | 0xf)) | FLAG.QR | (truncated ? FLAG.TC : 0) | (m.rcode & 0xf);
  w.buf.writeUInt16BE(flags, 2);
  w.buf.writeUInt16BE(counts[0]!, 6);
  w.buf.writeUInt16BE(counts[1]!, 8);
  w.buf.writeUInt16BE(counts[2]! + (m.edns ? 1 : 0), 10);
  return Buffer.from(w.buf.subarray(0, w.off));
}
