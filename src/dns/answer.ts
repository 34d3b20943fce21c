// The answer builder: a pure function of (question, catalog, options). It returns records in a canonical
// order; shuffling and size limits belong to the encoder and the cache.
import type { DnsCatalog, DnsInstance } from "./catalog.js";
import { addrName, parseQueryName, type NameOptions } from "./names.js";
import { serviceTtl, type DnsOptions } from "./options.js";
import type { ResourceRecord } from "./records.js";
import { CLASS, RCODE, TYPE } from "./wire.js";

export interface Question {
  /** Lower-case, without the trailing dot. */
  name: string;
  qtype: number;
  qclass: number;
}

export type AnswerOptions = NameOptions & Pick<DnsOptions, "ttlS" | "serviceTtl">;

export interface Answer {
  rcode: number;
  /** Not ours to answer: REFUSED, or forwarded when recursors are configured. */
  outside: boolean;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

const SOA_TIMERS = { refresh: 3600, retry: 600, expire: 86400, minimum: 0 };

function soa(catalog: DnsCatalog, opts: AnswerOptions): ResourceRecord {
  const d = opts.domain;
  return { name: d, ttl: 0, type: "SOA", mname: `ns.${d}`, rname: `hostmaster.${d}`, serial: catalog.version % 2 ** 32, ...SOA_TIMERS };
}

function result(rcode: number, answer: ResourceRecord[], authority: ResourceRecord[] = [], additional: ResourceRecord[] = []): Answer {
  return { rcode, outside: false, answer, authority, additional };
}

const OUTSIDE: Answer = { rcode: RCODE.REFUSED, outside: true, answer: [], authority: [], additional: [] };

/** NXDOMAIN, or NOERROR without records (NODATA); both carry the SOA for negative caching. */
function negative(rcode: number, catalog: DnsCatalog, opts: AnswerOptions): Answer {
  return result(rcode, [], [soa(catalog, opts)]);
}

/** Zone transfers are not served: NOTIMP, authoritative, no records (Consul's answer to AXFR). */
const NO_TRANSFER: Answer = result(RCODE.NOTIMP, []);

export function buildAnswer(q: Question, catalog: DnsCatalog, opts: AnswerOptions): Answer {
  if (q.qclass !== CLASS.IN && q.qclass !== CLASS.ANY) return OUTSIDE;
  const form = parseQueryName(q.name, opts);
  if (form.kind === "outside" || (form.kind === "ptr" && !catalog.byAddress.has(form.address))) return OUTSIDE;
  if (q.qtype === TYPE.AXFR || q.qtype === TYPE.IXFR) return NO_TRANSFER;
  switch (form.kind) {
    case "nxdomain":
      return negative(RCODE.NXDOMAIN, catalog, opts);
    case "apex":
      return apex(q, catalog, opts);
    case "addr": {
      const type = form.family === 4 ? "A" : "AAAA";
      if (!wants(q.qtype, form.family === 4 ? TYPE.A : TYPE.AAAA)) return negative(RCODE.NOERROR, catalog, opts);
      return result(RCODE.NOERROR, [{ name: q.name, ttl: opts.ttlS, type, address: form.address }]);
    }
    case "ptr": {
      const services = catalog.byAddress.get(form.address)!;
      if (!wants(q.qtype, TYPE.PTR)) return negative(RCODE.NOERROR, catalog, opts);
      const answer = services.map((s): ResourceRecord => ({ name: q.name, ttl: serviceTtl(s, opts), type: "PTR", target: `${s}.service.${opts.datacenter}.${opts.domain}` }));
      return result(RCODE.NOERROR, answer);
    }
    case "service": {
      const all = catalog.services.get(form.service) ?? [];
      const tag = form.tag;
      const instances = tag === undefined ? all : all.filter((i) => i.tags.includes(tag));
      if (instances.length === 0) return negative(RCODE.NXDOMAIN, catalog, opts);
      return service(q, instances, serviceTtl(form.service, opts), catalog, opts);
    }
  }
}

/** Whether a question of type `qtype` asks for records of type `t` (ANY asks for all). */
function wants(qtype: number, t: number): boolean {
  return qtype === t || qtype === TYPE.ANY;
}

function apex(q: Question, catalog: DnsCatalog, opts: AnswerOptions): Answer {
  const answer: ResourceRecord[] = [];
  if (wants(q.qtype, TYPE.SOA)) answer.push(soa(catalog, opts));
  if (wants(q.qtype, TYPE.NS)) answer.push({ name: opts.domain, ttl: 0, type: "NS", target: `ns.${opts.domain}` });
  return answer.length > 0 ? result(RCODE.NOERROR, answer) : negative(RCODE.NOERROR, catalog, opts);
}

function addressRecords(name: string, ttl: number, instances: DnsInstance[], qtype: number): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const seen = new Set<string>();
  for (const i of instances) {
    if (i.family === 0 || seen.has(i.address)) continue;
    if (i.family === 4 ? wants(qtype, TYPE.A) : wants(qtype, TYPE.AAAA)) {
      seen.add(i.address);
      out.push({ name, ttl, type: i.family === 4 ? "A" : "AAAA", address: i.address });
    }
  }
  return out;
}

function service(q: Question, instances: DnsInstance[], ttl: number, catalog: DnsCatalog, opts: AnswerOptions): Answer {
  if (q.qtype === TYPE.SRV) {
    const answer: ResourceRecord[] = [];
    const additional: ResourceRecord[] = [];
    const targets = new Set<string>();
    for (const i of instances) {
      // An instance without a port has no SRV record (Consul would say port 0, which no client can use).
      if (i.port === null) continue;
      const target = i.family === 0 ? i.address : addrName(i.address, opts);
      answer.push({ name: q.name, ttl, type: "SRV", priority: 1, weight: 1, port: i.port, target });
      if (i.family !== 0 && !targets.has(target)) {
        targets.add(target);
        additional.push({ name: target, ttl, type: i.family === 4 ? "A" : "AAAA", address: i.address });
      }
    }
    return answer.length > 0 ? result(RCODE.NOERROR, answer, [], additional) : negative(RCODE.NOERROR, catalog, opts);
  }
  const answer = addressRecords(q.name, ttl, instances, q.qtype);
  return answer.length > 0 ? result(RCODE.NOERROR, answer) : negative(RCODE.NOERROR, catalog, opts);
}
