// portolan://HOST:PORT — a read-only Registry over a running `portolan up` (its catalog HTTP API).
// watch() follows /v1/events: a snapshot, then changes; after a dropped connection it reconnects with
// Last-Event-ID, so nothing is missed. Writes are refused (ReadOnlyRegistryError): register with the
// registrator that feeds that catalog.
import { BackendAuthError } from "../../src/core/errors.js";
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import { InstanceSchema } from "../../src/core/model.js";
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
  logger?: { warn(obj: object, msg: string): void };
}

interface Events {
  snapshot: { instances: unknown[] };
  change: { added: unknown[]; changed: unknown[]; removed: string[] };
}

export class PortolanRegistry implements Registry {
  readonly kind = "portolan";
  private readonly client: CatalogClient;
  private readonly closing = new AbortController();

  constructor(private readonly o: PortolanRegistryOptions) {
    this.client = new CatalogClient(o);
  }

  /** Reads are what this view is for; a writer (the registrator) is refused at start-up (exit 78). */
  async checkAccess(access: RegistryAccess): Promise<void> {
    if (access === "write") throw new ReadOnlyRegistryError(this.client.where, "register");
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

  /** Resolves when the catalog server answers /healthz with 200 (its own backend reachable). */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.client.getJson("/healthz", signal);
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
        const d = JSON.parse(data) as Events["snapshot"];
        byId.clear();
        for (const i of toInstances(d.instances)) byId.set(i.id, i);
        loaded = true;
        changed();
      } else if (event === "change") {
        const d = JSON.parse(data) as Events["change"];
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

  async close(): Promise<void> {
    this.closing.abort();
  }

  /** Reads /v1/events until `stop`, reconnecting with Last-Event-ID after any failure. */
  private async follow(apply: (event: string, data: string) => void, stop: AbortSignal): Promise<void> {
    const parser = new SseParser();
    let attempt = 0;
    while (!stop.aborted) {
      try {
        const headers: Record<string, string> = { accept: "text/event-stream" };
        if (parser.lastEventId) headers["last-event-id"] = parser.lastEventId;
        parser.reset();
        const res = await this.client.open("/v1/events", headers, stop, STREAM_IDLE_MS);
        res.setEncoding("utf8");
        for await (const chunk of res) {
          for (const e of parser.push(chunk as string)) {
            apply(e.event, e.data);
            attempt = 0;
          }
        }
      } catch (err) {
        if (stop.aborted) return;
        this.o.logger?.warn({ err: (err as Error).message }, "portolan watch: event stream failed; reconnecting");
      }
      if (!stop.aborted) await delay(backoff(attempt++, { initialMs: 250, maxMs: 5_000, jitter: 0.5 }), stop);
    }
  }
}

/** Entries from the remote catalog are untrusted: anything not a valid Instance is left out. */
function toInstances(list: unknown[]): Instance[] {
  const out: Instance[] = [];
  for (const raw of list) {
    const r = InstanceSchema.safeParse(raw);
    if (r.success) out.push(r.data);
  }
  return out;
}

export function createPortolanRegistry(o: PortolanRegistryOptions): PortolanRegistry {
  return new PortolanRegistry(o);
}
