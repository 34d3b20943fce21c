// DNS wire format: constants and the query reader. Only the header, the question and the OPT record are
// decoded (DESIGN.md "DNS": never decode more of a query than the question and OPT). Pure: bytes in, a
// Query or a QueryError out; it never throws on any input.

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255 } as const;
export const CLASS = { IN: 1, CH: 3, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

/** Header flag bits (second 16-bit word). */
export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, CD: 0x0010 } as const;

export const HEADER_SIZE = 12;
/** Classic UDP limit without EDNS (RFC 1035). */
export const UDP_MIN_SIZE = 512;
/** Largest DNS message (TCP length prefix). */
export const MAX_MESSAGE = 65535;
const MAX_NAME = 255;

export interface Edns {
  /** Requestor's UDP payload size, at least 512. */
  udpSize: number;
  version: number;
  /** DNSSEC OK bit, echoed in the response OPT (RFC 3225). */
  dnssecOk: boolean;
}

export interface Query {
  id: number;
  /** Second header word as sent (opcode, RD, CD…). */
  flags: number;
  /** Offset just past QTYPE/QCLASS: bytes [12, questionEnd) are the question as sent. */
  questionEnd: number;
  /** Offset just past the QNAME (its wire form is [12, nameEnd)). */
  nameEnd: number;
  qtype: number;
  qclass: number;
  /** Set when the query carries an OPT record. */
  edns: Edns | undefined;
}

/** A query that gets an error response (`respond`) or none (`drop`: too short, or itself a response). */
export interface QueryError {
  error: "drop" | "formerr" | "notimp" | "badvers";
  id: number;
  flags: number;
  /** Offset past the question when it could be read (echoed in the error response), else 0. */
  questionEnd: number;
  edns: Edns | undefined;
}

export function isQueryError(q: Query | QueryError): q is QueryError {
  return (q as QueryError).error !== undefined;
}

function fail(error: QueryError["error"], buf: Uint8Array, questionEnd = 0, edns?: Edns): QueryError {
  const id = buf.length >= 2 ? (buf[0]! << 8) | buf[1]! : 0;
  const flags = buf.length >= 4 ? (buf[2]! << 8) | buf[3]! : 0;
  return { error, id, flags, questionEnd, edns };
}

/** Offset past an uncompressed name starting at `off`, or -1 if malformed (pointers are refused in questions). */
export function skipQuestionName(buf: Uint8Array, off: number): number {
  const start = off;
  for (;;) {
    if (off >= buf.length) return -1;
    const len = buf[off]!;
    if (len === 0) return off + 1 - start > MAX_NAME ? -1 : off + 1;
    if (len > 63) return -1;
    off += len + 1;
    if (off - start >= MAX_NAME) return -1;
  }
}

/** Offset past a possibly compressed name in a record (the pointer target is not followed), or -1. */
function skipRecordName(buf: Uint8Array, off: number): number {
  const start = off;
  for (;;) {
    if (off >= buf.length) return -1;
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : -1;
    if (len > 63) return -1;
    off += len + 1;
    if (off - start >= MAX_NAME) return -1;
  }
}

/** Offset past a whole resource record, or -1. */
function skipRecord(buf: Uint8Array, off: number): number {
  const p = skipRecordName(buf, off);
  if (p < 0 || p + 10 > buf.length) return -1;
  const end = p + 10 + ((buf[p + 8]! << 8) | buf[p + 9]!);
  return end <= buf.length ? end : -1;
}

/** Reads a query: header, one question, and the OPT record among the additional records. */
export function readQuery(buf: Uint8Array): Query | QueryError {
  if (buf.length < HEADER_SIZE) return fail("drop", buf);
  const flags = (buf[2]! << 8) | buf[3]!;
  if (flags & FLAG.QR) return fail("drop", buf);
  const qd = (buf[4]! << 8) | buf[5]!;
  const an = (buf[6]! << 8) | buf[7]!;
  const ns = (buf[8]! << 8) | buf[9]!;
  const ar = (buf[10]! << 8) | buf[11]!;
  const opcode = (flags >> 11) & 0xf;
  if (qd !== 1) return fail(opcode !== 0 ? "notimp" : "formerr", buf);
  const nameEnd = skipQuestionName(buf, HEADER_SIZE);
  if (nameEnd < 0 || nameEnd + 4 > buf.length) return fail("formerr", buf);
  const questionEnd = nameEnd + 4;
  if (opcode !== 0) return fail("notimp", buf, questionEnd);
  let off = questionEnd;
  for (let i = 0; i < an + ns; i++) {
    off = skipRecord(buf, off);
    if (off < 0) return fail("formerr", buf, questionEnd);
  }
  let edns: Edns | undefined;
  for (let i = 0; i < ar; i++) {
    const p = skipRecordName(buf, off);
    const end = skipRecord(buf, off);
    if (p < 0 || end < 0) return fail("formerr", buf, questionEnd, edns);
    if (((buf[p]! << 8) | buf[p + 1]!) === TYPE.OPT) {
      // One OPT, owned by the root name (RFC 6891 6.1.1).
      if (edns || p !== off + 1) return fail("formerr", buf, questionEnd, edns);
      const size = (buf[p + 2]! << 8) | buf[p + 3]!;
      edns = { udpSize: Math.max(size, UDP_MIN_SIZE), version: buf[p + 5]!, dnssecOk: (buf[p + 6]! & 0x80) !== 0 };
    }
    off = end;
  }
  if (edns && edns.version !== 0) return fail("badvers", buf, questionEnd, edns);
  return {
    id: (buf[0]! << 8) | buf[1]!,
    flags,
    questionEnd,
    nameEnd,
    qtype: (buf[nameEnd]! << 8) | buf[nameEnd + 1]!,
    qclass: (buf[nameEnd + 2]! << 8) | buf[nameEnd + 3]!,
    edns,
  };
}

/**
 * The question name as dotted lower-case text without the trailing dot ("" for the root). Bytes outside
 * printable ASCII, and "." or "\" inside a label, are written as \DDD (zone-file style), so such a name
 * can never equal a name we serve.
 */
export function nameText(buf: Uint8Array, off: number): string {
  let out = "";
  for (;;) {
    const len = buf[off]!;
    if (len === 0) return out;
    if (out !== "") out += ".";
    for (let i = off + 1; i <= off + len; i++) {
      let c = buf[i]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) out += "\\" + String(c).padStart(3, "0");
      else out += String.fromCharCode(c);
    }
    off += len + 1;
  }
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TYPE).map(([k, v]) => [v, k]));
const RCODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(RCODE).map(([k, v]) => [v, k]));

/** "A", "SRV", … or "TYPE123" (RFC 3597 style) for types without a name here. */
export function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `TYPE${t}`;
}

export function rcodeName(r: number): string {
  return RCODE_NAMES[r] ?? `RCODE${r}`;
}
