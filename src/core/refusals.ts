// Refusals shared through the backend: each registrator publishes the services it refuses now (one document per
// host, written only when that set changes), every catalog watches all hosts' documents. Labels are untrusted
// input: a document is bounded (MAX_REFUSALS_PER_HOST entries, then a count of the rest), its text fields bounded and
// without control characters, and a document read from the backend is checked and bounded again. Pure.
import { boundText, isRecord } from "./model.js";

/** Entries one host publishes; beyond them only their number (`more`). */
export const MAX_REFUSALS_PER_HOST = 50;
/** Characters of a container name, port or key; of a reason. */
export const MAX_REFUSAL_FIELD = 256;
export const MAX_REFUSAL_REASON = 512;

/** One service a registrator refuses now: never written, so only this says why it is missing. */
export interface Refusal {
  container: string;
  /** Docker's port key ("80/tcp") when one port was refused. */
  port?: string;
  /** The SERVICE_* key, label or flag at fault. */
  key: string;
  reason: string;
  /** ISO 8601: since when that registrator refuses it. */
  since: string;
}

/** One host's document. */
export interface HostRefusals {
  /** The registrator's --hostname. */
  host: string;
  refusals: Refusal[];
  /** Refusals beyond MAX_REFUSALS_PER_HOST, not listed. */
  more: number;
}

/**
 * Where refusals are shared: an optional capability of a Registry (Consul: KV `portolan/refusals/<host>`;
 * ZooKeeper: a node per host). Writing costs one request per change of a host's set; reading is one watch.
 */
export interface RefusalStore {
  /** Replaces `doc.host`'s document; one with no refusals (and none more) removes it. */
  publish(doc: HostRefusals): Promise<void>;
  /** Every host's document (hosts with none are absent), sorted by host: the current set first, then one per change. */
  watch(signal?: AbortSignal): AsyncIterable<HostRefusals[]>;
}

/** `x` as a Refusal (its fields only), or undefined when it is not one. */
function refusalOf(x: unknown): Refusal | undefined {
  if (!isRecord(x)) return undefined;
  const { container, port, key, reason, since } = x;
  if (typeof container !== "string" || typeof key !== "string" || typeof reason !== "string" || typeof since !== "string") return undefined;
  if (port !== undefined && typeof port !== "string") return undefined;
  return { container, key, reason, since, ...(port !== undefined && { port }) };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function bounded(r: Refusal): Refusal {
  const out: Refusal = { container: boundText(r.container, MAX_REFUSAL_FIELD), key: boundText(r.key, MAX_REFUSAL_FIELD), reason: boundText(r.reason, MAX_REFUSAL_REASON), since: boundText(r.since, 40) };
  if (r.port !== undefined) out.port = boundText(r.port, MAX_REFUSAL_FIELD);
  return out;
}

/** The document `host` publishes for `list`: sorted (container, port, key), bounded; `more` counts what is left out. */
export function hostRefusals(host: string, list: readonly Refusal[], more = 0): HostRefusals {
  const sorted = [...list].sort((a, b) => cmp(a.container, b.container) || cmp(a.port ?? "", b.port ?? "") || cmp(a.key, b.key));
  return { host, refusals: sorted.slice(0, MAX_REFUSALS_PER_HOST).map(bounded), more: more + Math.max(0, sorted.length - MAX_REFUSALS_PER_HOST) };
}

/** What is stored: the document without its host (the key or node name says it). */
export function encodeRefusals(doc: HostRefusals): string {
  return JSON.stringify({ refusals: doc.refusals, more: doc.more });
}

/** A stored document, checked and bounded again (another process wrote it); undefined when it is not one. */
export function decodeRefusals(host: string, text: string): HostRefusals | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(raw)) return undefined;
  const { refusals, more = 0 } = raw;
  if (!Array.isArray(refusals) || typeof more !== "number" || !Number.isInteger(more) || more < 0) return undefined;
  const list = refusals.flatMap((r) => refusalOf(r) ?? []);
  return hostRefusals(boundText(host, MAX_REFUSAL_FIELD), list, more + refusals.length - list.length);
}

/** Documents sorted by host (what a watch yields). */
export function sortHosts(docs: Iterable<HostRefusals>): HostRefusals[] {
  return [...docs].sort((a, b) => cmp(a.host, b.host));
}

/** The latest set of documents and the readers waiting for a newer one (an in-process store, a watch's producer). */
export class RefusalFeed {
  private latest: HostRefusals[] | undefined;
  private version = 0;
  private waiters = new Set<() => void>();
  private ended = false;

  /** Publishes the next set; an identical one is not a change. */
  set(docs: HostRefusals[]): void {
    const next = sortHosts(docs);
    if (this.latest && JSON.stringify(this.latest) === JSON.stringify(next)) return;
    this.latest = next;
    this.version++;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The current set (once there is one), then each newer one; a slow reader skips to the newest. */
  async *watch(signal?: AbortSignal): AsyncGenerator<HostRefusals[]> {
    let seen = 0;
    const abort = () => this.wake();
    signal?.addEventListener("abort", abort, { once: true });
    try {
      while (!this.ended && !signal?.aborted) {
        if (this.latest && this.version > seen) {
          seen = this.version;
          yield this.latest;
          continue;
        }
        await new Promise<void>((resolve) => this.waiters.add(resolve));
      }
    } finally {
      signal?.removeEventListener("abort", abort);
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = new Set();
    for (const f of w) f();
  }
}
