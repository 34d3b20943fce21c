// DNS test helpers: queries built byte by byte, responses decoded by dns2 (an independent decoder) into
// zone text, so tests compare `name. ttl IN TYPE data` strings.
import dns2 from "dns2";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { canonicalAddress } from "../../src/dns/names.js";

const { Packet } = dns2;

export interface QueryOptions {
  id?: number;
  /** EDNS UDP size; undefined = no OPT record. */
  edns?: number;
  dnssecOk?: boolean;
  rd?: boolean;
  qclass?: number;
}

export const QTYPE: Record<string, number> = { A: 1, NS: 2, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, IXFR: 251, AXFR: 252, ANY: 255 };

/** A query message for `name` (case kept as given). */
export function makeQuery(name: string, type: string | number, o: QueryOptions = {}): Buffer {
  const labels = name.replace(/\.$/, "").split(".").filter(Boolean);
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.writeUInt16BE(o.id ?? 0x1234, 0);
  head.writeUInt16BE(o.rd === false ? 0 : 0x0100, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(o.edns !== undefined ? 1 : 0, 10);
  parts.push(head);
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, "latin1"));
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(typeof type === "number" ? type : QTYPE[type]!, 1);
  tail.writeUInt16BE(o.qclass ?? 1, 3);
  parts.push(tail);
  if (o.edns !== undefined) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(o.edns, 3);
    opt.writeUInt32BE(o.dnssecOk ? 0x8000 : 0, 5);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

export interface Decoded {
  id: number;
  rcode: string;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  question: string | undefined;
  answer: string[];
  authority: string[];
  additional: string[];
  opt: { udpSize: number; dnssecOk: boolean; extendedRcode: number } | undefined;
}

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
const TYPES: Record<number, string> = Object.fromEntries(Object.entries(QTYPE).map(([k, v]) => [v, k]));

type Rr = Record<string, unknown> & { name: string; type: number; ttl: number };

/** Zone text of a dns2 resource ("web.service.consul. 0 IN A 10.0.0.1"), names lower-cased. */
export function zone(r: Rr): string {
  const head = `${r.name.toLowerCase()}. ${r.ttl} IN ${TYPES[r.type] ?? `TYPE${r.type}`}`;
  switch (r.type) {
    case 1:
      return `${head} ${String(r.address)}`;
    case 28:
      return `${head} ${canonicalAddress(String(r.address))}`;
    case 33:
      return `${head} ${String(r.priority)} ${String(r.weight)} ${String(r.port)} ${String(r.target).toLowerCase()}.`;
    case 12:
      return `${head} ${String(r.domain).toLowerCase()}.`;
    case 2:
      return `${head} ${String(r.ns).toLowerCase()}.`;
    case 6:
      return `${head} ${String(r.primary)}. ${String(r.admin)}. ${String(r.serial)} ${String(r.refresh)} ${String(r.retry)} ${String(r.expiration)} ${String(r.minimum)}`;
    default:
      return head;
  }
}

export function decode(buf: Buffer): Decoded {
  const p = Packet.parse(buf) as unknown as { header: Record<string, number>; questions: { name: string; type: number }[]; answers: Rr[]; authorities: Rr[]; additionals: Rr[] };
  const optRr = p.additionals.find((r) => r.type === 41) as (Rr & { class: number; doFlag: boolean; extendedRcode: number }) | undefined;
  const ext = optRr ? optRr.extendedRcode << 4 : 0;
  const code = ext | p.header.rcode!;
  const q = p.questions[0];
  return {
    id: p.header.id!,
    rcode: code === 16 ? "BADVERS" : (RCODES[code] ?? `RCODE${code}`),
    aa: p.header.aa === 1,
    tc: p.header.tc === 1,
    rd: p.header.rd === 1,
    ra: p.header.ra === 1,
    question: q ? `${q.name} ${TYPES[q.type] ?? q.type}` : undefined,
    answer: p.answers.map(zone),
    authority: p.authorities.map(zone),
    additional: p.additionals.filter((r) => r.type !== 41).map(zone),
    opt: optRr ? { udpSize: optRr.class, dnssecOk: optRr.doFlag, extendedRcode: optRr.extendedRcode } : undefined,
  };
}

/** One UDP exchange; rejects after `timeoutMs`. */
export function udpExchange(port: number, msg: Buffer, timeoutMs = 2000, host = "127.0.0.1"): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP answer from ${host}:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("message", (reply) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    });
    sock.send(msg, port, host);
  });
}

/** Sends every message on one TCP connection at once (pipelined) and collects as many answers. */
export function tcpExchange(port: number, msgs: Buffer[], timeoutMs = 2000, host = "127.0.0.1"): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const out: Buffer[] = [];
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP: ${out.length} of ${msgs.length} answers in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        out.push(data.subarray(2, 2 + data.readUInt16BE(0)));
        data = data.subarray(2 + data.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        clearTimeout(timer);
        sock.end();
        resolve(out);
      }
    });
    sock.write(Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))));
  });
}

/** Sorted copy, for comparing record sets regardless of order. */
export function sorted(list: string[]): string[] {
  return [...list].sort();
}
