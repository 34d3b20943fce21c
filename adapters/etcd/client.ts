// One method per etcd v3 call the adapter makes, over the JSON gateway (gateway.ts): keys and values as UTF-8
// strings here, base64 on the wire; failures translated to the Registry port's classes (failures.ts) and refusals
// of credentials counted (AuthFailures), the password and token kept out of every message.
import { AuthFailures } from "../../src/core/auth-failures.js";
import { BackendAuthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { translateFailure } from "./failures.js";
import { Gateway, type GatewayTarget, type StreamHandle } from "./gateway.js";
import { prefixEnd } from "./range.js";

export interface KeyValue {
  key: string;
  value: string;
  modRevision: number;
  /** Lease ID (decimal text), "0" when none. */
  lease: string;
}

interface RawKv {
  key?: string;
  value?: string;
  mod_revision?: string;
  lease?: string;
}
interface Header {
  revision?: string;
}
interface RawRange {
  header?: Header;
  kvs?: RawKv[];
}
type RawOp = { response_range?: RawRange };
type Compare = { key: string; target: "CREATE" | "MOD"; result: "EQUAL"; create_revision?: string; mod_revision?: string };
type Op = { request_put: { key: string; value: string; lease?: string } } | { request_range: { key: string } } | { request_delete_range: { key: string; range_end?: string } };

/** A watch stream's messages, as the gateway sends them. */
export interface WatchMessage {
  result?: {
    header?: Header;
    created?: boolean;
    canceled?: boolean;
    compact_revision?: string;
    cancel_reason?: string;
    events?: Array<{ type?: "PUT" | "DELETE"; kv?: RawKv }>;
  };
  error?: { code?: number; message?: string; http_code?: number };
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
const text = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");
export const kvOf = (r: RawKv): KeyValue => ({ key: text(r.key), value: text(r.value), modRevision: Number(r.mod_revision ?? 0), lease: r.lease ?? "0" });

/** Probe of the start-up access check: names the operation so its refusal is the caller's, not a running failure. */
export const PROBE = "check permissions";

export interface ClientOptions extends GatewayTarget {
  logger: Logger;
  /** The key range the adapter works in (for messages). */
  base: string;
}

export class EtcdClient {
  private readonly gw: Gateway;
  readonly auth: AuthFailures;
  private readonly user: { name: string; password: string } | undefined;

  constructor(private readonly opts: ClientOptions) {
    this.gw = new Gateway(opts);
    this.auth = new AuthFailures(opts.logger);
    this.user = opts.user;
  }

  get endpoint(): string {
    return this.gw.endpoint;
  }

  destroy(): void {
    this.gw.destroy();
  }

  /** Every key under `prefix` (values too unless keysOnly) and the store's revision then. */
  async rangePrefix(prefix: string, keysOnly = false): Promise<{ kvs: KeyValue[]; revision: number }> {
    const r = await this.call<RawRange>("range", "kv/range", { key: b64(prefix), range_end: b64(prefixEnd(prefix)), ...(keysOnly && { keys_only: true }) });
    return { kvs: (r.kvs ?? []).map(kvOf), revision: Number(r.header?.revision ?? 0) };
  }

  /** The values of `keys` in one transaction of reads (absent keys are left out). */
  async getMany(keys: string[]): Promise<KeyValue[]> {
    if (keys.length === 0) return [];
    const r = await this.txn("read", [], keys.map((k) => ({ request_range: { key: b64(k) } })), []);
    return r.responses.flatMap((op) => (op.response_range?.kvs ?? []).map(kvOf));
  }

  /** Put when the key is absent (ifModRevision undefined) or still at that mod revision; else the key as it is now. */
  async putGuarded(key: string, value: string, lease: string, ifModRevision?: number): Promise<{ ok: true } | { ok: false; now: KeyValue | undefined }> {
    const r = await this.txn("register", [guard(key, ifModRevision)], [{ request_put: { key: b64(key), value: b64(value), lease } }], [{ request_range: { key: b64(key) } }]);
    if (r.succeeded) return { ok: true };
    const kv = r.responses[0]?.response_range?.kvs?.[0];
    return { ok: false, now: kv ? kvOf(kv) : undefined };
  }

  /** Delete the key while it is still at `modRevision`; false when it changed or went. */
  async deleteGuarded(key: string, modRevision: number): Promise<boolean> {
    const r = await this.txn("deregister", [guard(key, modRevision)], [{ request_delete_range: { key: b64(key) } }], []);
    return r.succeeded;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = await this.call<RawRange>("read", "kv/range", { key: b64(key) });
    const kv = r.kvs?.[0];
    return kv ? kvOf(kv) : undefined;
  }

  async delete(key: string): Promise<void> {
    await this.call("deregister", "kv/deleterange", { key: b64(key) });
  }

  async leaseGrant(ttlS: number): Promise<{ id: string; ttlS: number }> {
    const r = await this.call<{ ID?: string; TTL?: string }>("grant lease", "lease/grant", { TTL: String(ttlS) });
    return { id: r.ID ?? "0", ttlS: Number(r.TTL ?? 0) };
  }

  /** One keep-alive of `id`: the TTL it has now (0 = the lease is gone). */
  async leaseKeepAlive(id: string, signal?: AbortSignal): Promise<number> {
    const r = await this.call<{ result?: { TTL?: string } }>("keep lease alive", "lease/keepalive", { ID: id }, signal);
    return Number(r.result?.TTL ?? 0);
  }

  /** The member's view of the cluster: its leader's ID ("0" without one). Constant cost. */
  async status(signal?: AbortSignal): Promise<string> {
    const r = await this.call<{ leader?: string }>("status", "maintenance/status", {}, signal);
    return r.leader ?? "0";
  }

  /**
   * Writes nothing and reads at most one key, but etcd checks permission on the whole range of every operation of a
   * transaction, taken or not: read = range [base, end) limit 1; write = also a delete of that range behind a
   * compare that never holds.
   */
  async probe(base: string, write: boolean): Promise<void> {
    const range = { key: b64(base), range_end: b64(prefixEnd(base)) };
    if (this.user) await this.authenticate();
    await this.call(PROBE, "kv/range", { ...range, limit: "1", keys_only: true });
    if (write) {
      const never: Compare = { key: b64(base), target: "CREATE", result: "EQUAL", create_revision: "-1" };
      await this.call(PROBE, "kv/txn", { compare: [never], success: [{ request_delete_range: range }], failure: [] });
    }
  }

  /** Asks for a token now (its refusal: a BackendAuthError naming ETCDCTL_USER). */
  async authenticate(): Promise<void> {
    await this.translated(PROBE, () => this.gw.authenticate());
  }

  /** Opens a watch of every key under `prefix` from `startRevision`; each message goes to `onMessage`. */
  watch(prefix: string, startRevision: number, signal: AbortSignal, onMessage: (m: WatchMessage) => void): Promise<StreamHandle> {
    const body = { create_request: { key: b64(prefix), range_end: b64(prefixEnd(prefix)), start_revision: String(startRevision) } };
    return this.translated("watch", () => this.gw.stream("watch", body, signal, (m) => onMessage(m as WatchMessage)), signal);
  }

  /** Translates any failure of a watch stream that was open (its `done`). */
  translate(operation: string, err: unknown): Error {
    return translateFailure(err, { operation, user: this.user?.name, base: this.opts.base, redact: (t) => this.redact(t) });
  }

  private async txn(operation: string, compare: Compare[], success: Op[], failure: Op[]): Promise<{ succeeded: boolean; responses: RawOp[] }> {
    const r = await this.call<{ succeeded?: boolean; responses?: RawOp[] }>(operation, "kv/txn", { compare, success, failure });
    return { succeeded: r.succeeded === true, responses: r.responses ?? [] };
  }

  private call<T>(operation: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.translated(operation, () => this.gw.call<T>(path, body, signal), signal);
  }

  private async translated<T>(operation: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      const r = await fn();
      this.auth.succeeded(operation);
      return r;
    } catch (raw) {
      if (signal?.aborted) throw raw;
      const err = this.translate(operation, raw);
      if (err instanceof BackendAuthError && operation !== PROBE) this.auth.failed(operation, err);
      throw err;
    }
  }

  private redact(t: string): string {
    let out = t;
    for (const secret of [this.user?.password]) if (secret) out = out.split(secret).join("[password]");
    return out;
  }
}

/** Key absent (create revision 0) when `modRevision` is undefined, else still at that mod revision. */
function guard(key: string, modRevision: number | undefined): Compare {
  return modRevision === undefined
    ? { key: b64(key), target: "CREATE", result: "EQUAL", create_revision: "0" }
    : { key: b64(key), target: "MOD", result: "EQUAL", mod_revision: String(modRevision) };
}
