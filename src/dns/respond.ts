// Query bytes in, response bytes out: read the question and OPT, look the answer up in the encoded-answer
// cache (patching ID, RD/CD and the question's letter case), else build, encode and cache it. No sockets,
// no clock; randomness is injected.
import type { CatalogSnapshot } from "../core/model.js";
import { buildAnswer, type Answer } from "./answer.js";
import { AnswerCache, nextVariant, shuffled } from "./cache.js";
import { indexCatalog, type DnsCatalog } from "./catalog.js";
import { encodeResponse } from "./encode.js";
import type { DnsOptions } from "./options.js";
import { FLAG, HEADER_SIZE, isQueryError, MAX_MESSAGE, nameText, RCODE, readQuery, UDP_MIN_SIZE, type Query, type QueryError } from "./wire.js";

export type Transport = "udp" | "tcp";

export type Reply =
  | { kind: "reply"; message: Buffer; rcode: number; qtype: number; cached: boolean }
  /** Not answerable here and recursors are configured: forward the query bytes as they are. */
  | { kind: "forward"; qtype: number; query: Query }
  /** Nothing to say (not a query, or too short to carry an ID). */
  | { kind: "drop" };

/** EDNS sizes are rounded down to one of these, so a few cache entries serve every client. */
const SIZE_BUCKETS = [512, 1232, 1400, 2048, 4096, 8192, 16384, 32768, 65507];

/** Largest response for this query: 512 without EDNS, its bucketed EDNS size on UDP, 65535 on TCP. */
export function sizeLimit(q: Pick<Query, "edns">, transport: Transport): number {
  if (transport === "tcp") return MAX_MESSAGE;
  if (!q.edns) return UDP_MIN_SIZE;
  let limit = UDP_MIN_SIZE;
  for (const b of SIZE_BUCKETS) if (b <= q.edns.udpSize) limit = b;
  return limit;
}

function hasUpper(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** Cache key: the question bytes with ASCII lower-cased, the size limit and the DO bit. */
export function cacheKey(buf: Buffer, q: Query, limit: number): string {
  let question: string;
  if (hasUpper(buf, HEADER_SIZE, q.nameEnd)) {
    const lower = Buffer.from(buf.subarray(HEADER_SIZE, q.questionEnd));
    for (let i = 0; i < lower.length - 4; i++) if (lower[i]! >= 0x41 && lower[i]! <= 0x5a) lower[i]! += 0x20;
    question = lower.toString("latin1");
  } else {
    question = buf.toString("latin1", HEADER_SIZE, q.questionEnd);
  }
  return `${question}${limit}${q.edns?.dnssecOk ? "d" : ""}`;
}

function sameBytesIgnoringCase(a: Buffer, b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && (x | 0x20) !== (y | 0x20)) return false;
  }
  return true;
}

/** A copy of a cached response for this query: its ID, RD and CD bits, and its question's letter case. */
function patched(cached: Buffer, query: Buffer, q: Query): Buffer {
  const out = Buffer.allocUnsafe(cached.length);
  cached.copy(out);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = (out[2]! & ~0x01) | (query[2]! & 0x01);
  out[3] = (out[3]! & ~0x10) | (query[3]! & 0x10);
  query.copy(out, HEADER_SIZE, HEADER_SIZE, q.nameEnd);
  return out;
}

const ERROR_RCODE = { formerr: RCODE.FORMERR, notimp: RCODE.NOTIMP, badvers: RCODE.BADVERS } as const;

export class Responder {
  private catalog: DnsCatalog;
  private readonly cache: AnswerCache;
  private generation = 0;
  /** No snapshot yet: every query gets SERVFAIL (an NXDOMAIN now would be cached by resolvers). */
  private ready = false;

  constructor(
    private readonly opts: DnsOptions,
    private readonly random: () => number = Math.random,
  ) {
    this.catalog = indexCatalog({ version: 0, instances: [] }, opts);
    this.cache = new AnswerCache(opts.cacheEntries);
  }

  get version(): number {
    return this.catalog.version;
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  /** A new snapshot: re-index and drop every cached answer. */
  update(snapshot: CatalogSnapshot): void {
    this.catalog = indexCatalog(snapshot, this.opts);
    this.cache.invalidate(++this.generation);
    this.ready = true;
  }

  respond(buf: Buffer, transport: Transport): Reply {
    const q = readQuery(buf);
    if (isQueryError(q)) return this.error(q, buf, transport);
    if (!this.ready) return { kind: "reply", message: this.servfail(buf, q, transport), rcode: RCODE.SERVFAIL, qtype: q.qtype, cached: false };
    const limit = sizeLimit(q, transport);
    const key = cacheKey(buf, q, limit);
    const hit = this.cache.get(key);
    if (hit) return { kind: "reply", message: patched(nextVariant(hit), buf, q), rcode: hit.rcode, qtype: q.qtype, cached: true };
    const answer = buildAnswer({ name: nameText(buf, HEADER_SIZE), qtype: q.qtype, qclass: q.qclass }, this.catalog, this.opts);
    if (answer.outside && this.opts.recursors.length > 0) return { kind: "forward", qtype: q.qtype, query: q };
    const entry = this.cache.set(key, this.encodeVariants(answer, buf, q, limit), answer.rcode);
    return { kind: "reply", message: patched(nextVariant(entry), buf, q), rcode: answer.rcode, qtype: q.qtype, cached: false };
  }

  /** SERVFAIL for a query that could not be forwarded. */
  servfail(buf: Buffer, q: Query, transport: Transport): Buffer {
    return encodeResponse({ ...this.head(buf, q, false), rcode: RCODE.SERVFAIL, answer: [], authority: [], additional: [], maxSize: sizeLimit(q, transport) });
  }

  /**
   * What to send for a recursor's `reply` to this query: the reply itself when it is a response to this question
   * (same ID and question) that fits the client's size; an empty response with TC when it does not fit (the
   * client retries over TCP); SERVFAIL for anything else (garbage never reaches the client).
   */
  relayed(reply: Buffer, buf: Buffer, q: Query, transport: Transport): Buffer {
    const same = reply.length >= q.questionEnd && (reply[2]! & 0x80) !== 0 && reply.readUInt16BE(0) === q.id && reply.readUInt16BE(4) === 1;
    if (!same || !sameBytesIgnoringCase(reply, buf, HEADER_SIZE, q.questionEnd)) return this.servfail(buf, q, transport);
    if (reply.length <= sizeLimit(q, transport)) return reply;
    const truncated = encodeResponse({ ...this.head(buf, q, false), rcode: reply[3]! & 0xf, answer: [], authority: [], additional: [], maxSize: UDP_MIN_SIZE });
    truncated[2]! |= FLAG.TC >> 8;
    return truncated;
  }

  private head(buf: Buffer, q: Pick<Query, "id" | "flags" | "questionEnd" | "edns">, authoritative: boolean) {
    const recursion = this.opts.recursors.length > 0 ? FLAG.RA : 0;
    return {
      id: q.id,
      flags: (q.flags & (0x7800 | FLAG.RD | FLAG.CD)) | recursion | (authoritative ? FLAG.AA : 0),
      question: q.questionEnd > 0 ? buf.subarray(HEADER_SIZE, q.questionEnd) : undefined,
      edns: q.edns ? { dnssecOk: q.edns.dnssecOk } : undefined,
    };
  }

  private encodeVariants(answer: Answer, buf: Buffer, q: Query, limit: number): Buffer[] {
    const head = this.head(buf, q, !answer.outside);
    const base = { ...head, rcode: answer.rcode, authority: answer.authority, additional: answer.additional, maxSize: limit };
    const count = answer.answer.length > 1 ? this.opts.shuffles : 1;
    const variants: Buffer[] = [];
    for (let i = 0; i < count; i++) variants.push(encodeResponse({ ...base, answer: i === 0 && count === 1 ? answer.answer : shuffled(answer.answer, this.random) }));
    return variants;
  }

  private error(e: QueryError, buf: Buffer, transport: Transport): Reply {
    if (e.error === "drop") return { kind: "drop" };
    const rcode = ERROR_RCODE[e.error];
    const message = encodeResponse({ ...this.head(buf, e, false), rcode, answer: [], authority: [], additional: [], maxSize: sizeLimit(e, transport) });
    return { kind: "reply", message, rcode, qtype: e.questionEnd > 0 ? buf.readUInt16BE(e.questionEnd - 4) : 0, cached: false };
  }
}
