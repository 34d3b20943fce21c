// portolan://HOST:PORT — a read-only Registry over a running `portolan up` (its catalog HTTP API).
// watch() follows /v1/events: a snapshot, then changes; after a dropped connection it reconnects with
// Last-Event-ID, so nothing is missed. Writes are refused (ReadOnlyRegistryError): register with the
// registrator that feeds that catalog.
import { z } from "zod";
import { AuthFailures } from "../../src/core/auth-failures.js";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import { silentLogger, type Logger } from "../../src/core/log.js";
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import { parseInstance } from "../../src/core/model.js";
import type { Registry, RegistryAccess } from "../../src/core/registry.js";
import { backoff, delay } from "../../src/core/util.js";
import { BACKEND, CatalogClient, type ClientOptions } from "./client.js";
import { SseParser } from "./sse.js";

/** portolan:// is a view: every write through it fails with this (a configuration error, never retried usefully). */
export class ReadOnlyRegistryError extends BackendAuthError {
  override name = "ReadOnlyRegistryError";
  constructor(where: string, op: string) {
    super({ backend: BACKEND, permission: "write", message: `${op} refused: portolan://${where} is a read-only view of another portolan's catalog; register with that portolan (or point this one at its backend)` });
  }
}

/** Idle time after which the event stream is considered dead (the server sends a keep-alive every 15 s). */
const STREAM_IDLE_MS = 45_000;

export interface PortolanRegistryOptions extends ClientOptions {
  logger?: Logger;
}

/** The events' outer shape; each entry is checked on its own (toInstances), so one bad entry costs only itself. */
const SnapshotData = z.object({ instances: z.array(z.unknown()) });
const ChangeData = z.object({ added: z.array(z.unknown()), changed: z.array(z.unknown()), removed: z.array(z.string()) });
/** The server's recent changes: entries stay unknown here (the catalog checks each one). */
const ChangesData = z.object({ changes: z.array(z.unknown()).optional() });

export class PortolanRegistry implements Registry {
  readonly kind = "portolan";
  private readonly client: CatalogClient;
  private readonly closing = new AbortController();
  private readonly log: Logger;
  /** A token refused while running: one error line, then retried quietly; counted for metrics. */
  private readonly auth: AuthFailures;

  constructor(o: PortolanRegistryOptions) {
    this.client = new CatalogClient(o);
    this.log = o.logger ?? silentLogger();
    this.auth = new AuthFailures(this.log);
  }

  get authFailures(): number {
    return this.auth.count;
  }

  /**
   * A writer (the registrator) is refused at start-up (exit 78). A reader asks the server once (HEAD /v1/events):
   * a refused PORTOLAN_CATALOG_TOKEN is BackendAuthError, no server there (connection refused, not a portolan
   * catalog) is BackendUnavailableError, each said at once instead of as silence until a timeout.
   */
  async checkAccess(access: RegistryAccess): Promise<void> {
    if (access === "write") throw new ReadOnlyRegistryError(this.client.where, "register");
    await this.client.probe(this.closing.signal);
  }

  validate(_instance: Instance): void {
    throw new ReadOnlyRegistryError(this.client.where, "register");
  }

  async register(_instance: Instance): Promise<void> {
    throw new ReadOnlyRegistryError(this.client.where, "register");
  }

  async deregister(_ref: InstanceRef): Promise<void> {
    throw new ReadOnlyRegistryError(this.client.where, "deregister");
  }

  async setHealth(_ref: InstanceRef, _status: Health, _output: string): Promise<void> {
    throw new ReadOnlyRegistryError(this.client.where, "setHealth");
  }

  async listOwned(owner: string): Promise<Instance[]> {
    const body = await this.client.getJson<{ instances: unknown[] }>(`/v1/instances?host=${encodeURIComponent(owner)}`);
    return toInstances(body.instances);
  }

  /**
   * Resolves when the catalog server answers /healthz with 200 (its own backend reachable) and does not refuse our
   * token (/healthz needs none, so a refused event stream is what tells).
   */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.client.getJson("/healthz", signal);
    if (this.auth.failing) throw new BackendAuthError({ backend: BACKEND, permission: "read", message: `${this.client.where}/v1/events: the server refuses PORTOLAN_CATALOG_TOKEN` });
  }

  async *watch(signal?: AbortSignal): AsyncIterable<CatalogSnapshot> {
    const local = new AbortController();
    const stop = AbortSignal.any([local.signal, this.closing.signal, ...(signal ? [signal] : [])]);
    const byId = new Map<string, Instance>();
    let loaded = false;
    let dirty = false;
    let wake: (() => void) | undefined;
    const changed = () => {
      dirty = true;
      const w = wake;
      wake = undefined;
      w?.();
    };
    const apply = (event: string, data: string) => {
      if (event === "snapshot") {
        const d = this.eventData(SnapshotData, event, data);
        byId.clear();
        for (const i of toInstances(d.instances)) byId.set(i.id, i);
        loaded = true;
        changed();
      } else if (event === "change") {
        const d = this.eventData(ChangeData, event, data);
        for (const i of toInstances([...d.added, ...d.changed])) byId.set(i.id, i);
        for (const id of d.removed) byId.delete(id);
        if (loaded) changed();
      }
    };
    const loop = this.follow(apply, stop);
    const onAbort = () => wake?.();
    stop.addEventListener("abort", onAbort, { once: true });
    let version = 0;
    try {
      while (!stop.aborted) {
        if (dirty && loaded) {
          dirty = false;
          const instances = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          yield { version: ++version, instances };
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      stop.removeEventListener("abort", onAbort);
      local.abort(); // also when the consumer stopped early: end this watch's stream
      await loop;
    }
  }

  /**
   * The server's recent changes, oldest first (`GET /v1/changes`); with `follow`, the same from the event stream's
   * snapshot and then every later one as it comes (`change` events' entries, `refused` events), until `signal`. A
   * snapshot after a reconnect that could not resume repeats the log: only entries newer than the last one pass.
   */
  async changes(onEntry: (entry: unknown) => void, follow: boolean, signal: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([signal, this.closing.signal]);
    const atOf = (e: unknown) => (typeof e === "object" && e !== null && typeof (e as { at?: unknown }).at === "string" ? (e as { at: string }).at : "");
    let last = "";
    const pass = (list: unknown[]) => {
      for (const e of list) {
        if (atOf(e) < last) continue;
        last = atOf(e);
        onEntry(e);
      }
    };
    if (!follow) {
      const body = ChangesData.parse(await this.client.getJson<unknown>("/v1/changes", stop));
      return pass([...(body.changes ?? [])].reverse());
    }
    await this.follow((event, data) => {
      if (event === "snapshot") pass([...(this.eventData(ChangesData, event, data).changes ?? [])].reverse());
      else if (event === "change") pass(this.eventData(ChangesData, event, data).changes ?? []);
      else if (event === "refused") pass([this.eventData(z.object({ at: z.string() }).passthrough(), event, data)]);
    }, stop);
  }

  /** The server's `GET /v1/refusals` document, unchecked (the catalog checks it). */
  refusalsDocument(signal?: AbortSignal): Promise<unknown> {
    return this.client.getJson<unknown>("/v1/refusals", signal);
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  /** An event's data, or BackendUnavailableError saying what is wrong with it (this connection is then given up). */
  private eventData<T>(schema: z.ZodType<T>, event: string, data: string): T {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new BackendUnavailableError({ backend: BACKEND, message: `${this.client.where}/v1/events: a ${event} event whose data is not JSON (not a portolan catalog?)` });
    }
    const r = schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new BackendUnavailableError({ backend: BACKEND, message: `${this.client.where}/v1/events: a ${event} event without the expected ${issue?.path.map(String).join(".") || "object"} (not a portolan catalog?)` });
    }
    return r.data;
  }

  /**
   * Reads /v1/events until `stop`, reconnecting with Last-Event-ID after any failure. Each failure is logged with
   * its reason (connection refused, HTTP status, a malformed event); a refused token once, at error level.
   */
  private async follow(apply: (event: string, data: string) => void, stop: AbortSignal): Promise<void> {
    const parser = new SseParser();
    let attempt = 0;
    while (!stop.aborted) {
      try {
        const headers: Record<string, string> = { accept: "text/event-stream" };
        if (parser.lastEventId) headers["last-event-id"] = parser.lastEventId;
        parser.reset();
        const res = await this.client.open("/v1/events", headers, stop, STREAM_IDLE_MS);
        this.auth.succeeded("watch");
        res.setEncoding("utf8");
        try {
          for await (const chunk of res) {
            for (const e of parser.push(chunk as string)) {
              apply(e.event, e.data);
              attempt = 0;
            }
          }
        } finally {
          res.destroy(); // a malformed event ends this connection, not only this loop
        }
      } catch (err) {
        if (stop.aborted) return;
        if (err instanceof BackendAuthError) this.auth.failed("watch", err);
        else this.log.warn({ err: this.client.unavailable("/v1/events", err).message }, "portolan watch: event stream failed; reconnecting");
      }
      if (!stop.aborted) await delay(backoff(attempt++, { initialMs: 250, maxMs: 5_000, jitter: 0.5 }), stop);
    }
  }
}

/** Entries from the remote catalog are untrusted: anything not a valid Instance is left out. */
function toInstances(list: unknown[]): Instance[] {
  const out: Instance[] = [];
  for (const raw of list) {
    const r = parseInstance(raw);
    if (r.ok) out.push(r.value);
  }
  return out;
}

export function createPortolanRegistry(o: PortolanRegistryOptions): PortolanRegistry {
  return new PortolanRegistry(o);
}
