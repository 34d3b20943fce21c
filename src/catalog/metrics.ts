// /metrics: the registrator's events, backend latency and errors, the catalog's own figures, and any figures
// another stage in the same process offers through a MetricsSource (the DNS shim's figures, in `portolan up`).
import { Counter, Gauge, Histogram, Registry as PromRegistry } from "prom-client";
import type { RegistratorEvent } from "../registrator/events.js";
import type { CatalogState } from "./state.js";

/** One metric family another stage offers; histogram buckets are cumulative, upper bounds in the metric's unit. */
export type MetricFamily =
  | { name: string; help: string; type: "counter" | "gauge"; samples: readonly { labels?: Record<string, string>; value: number }[] }
  | { name: string; help: string; type: "histogram"; buckets: readonly { le: number; count: number }[]; sum: number; count: number };

/** Figures of another stage in this process, read at scrape time (e.g. the DNS shim's, through an adapter in src/cli). */
export interface MetricsSource {
  families(): Promise<readonly MetricFamily[]>;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Registrator events waiting to be seen in a snapshot, at most. */
const LAG_PENDING_MAX = 10_000;
/** A change the catalog saw at most this long before the registrator reported writing it is that write. */
const RECENT_MS = 1_000;

export class CatalogMetrics {
  readonly prom = new PromRegistry();
  private readonly sources: MetricsSource[] = [];
  private readonly pending = new Map<string, number>();
  private readonly recent = new Map<string, number>();
  private readonly registrations: Counter<"backend">;
  private readonly deregistrations: Counter<"backend">;
  private readonly rejections: Counter<"backend">;
  private readonly healthChanges: Counter<"backend" | "health">;
  private readonly backendErrors: Counter<"backend" | "op" | "kind">;
  private readonly backendLatency: Histogram<"backend" | "op">;
  private readonly watchLag: Histogram<"backend">;
  private readonly backendUp: Gauge<"backend">;
  private readonly connectionsClosed: Counter<"reason">;

  constructor(
    readonly backend: string,
    private readonly clock: () => number = Date.now,
  ) {
    const registers = [this.prom];
    this.registrations = new Counter({ name: "portolan_registrations_total", help: "Instances registered (new or changed) by the registrator", labelNames: ["backend"], registers });
    this.deregistrations = new Counter({ name: "portolan_deregistrations_total", help: "Instances deregistered by the registrator", labelNames: ["backend"], registers });
    this.rejections = new Counter({ name: "portolan_rejections_total", help: "Services rejected for bad metadata (never written)", labelNames: ["backend"], registers });
    this.healthChanges = new Counter({ name: "portolan_health_changes_total", help: "Health changes written by the registrator", labelNames: ["backend", "health"], registers });
    this.backendErrors = new Counter({ name: "portolan_backend_errors_total", help: "Failed backend operations, by operation and error class", labelNames: ["backend", "op", "kind"], registers });
    this.backendLatency = new Histogram({ name: "portolan_backend_request_duration_seconds", help: "Backend operation latency", labelNames: ["backend", "op"], buckets: LATENCY_BUCKETS, registers });
    this.watchLag = new Histogram({ name: "portolan_catalog_watch_lag_seconds", help: "From a registrator write to the catalog seeing it in the backend's watch", labelNames: ["backend"], buckets: LATENCY_BUCKETS, registers });
    this.backendUp = new Gauge({ name: "portolan_backend_up", help: "1 when the backend answered the last probe", labelNames: ["backend"], registers });
    this.connectionsClosed = new Counter({ name: "portolan_catalog_connections_closed_total", help: "Connections closed by --max-connections: evicted (the oldest idle one, for a new one) or refused (all busy)", labelNames: ["reason"], registers });
    for (const reason of ["evicted", "refused"]) this.connectionsClosed.inc({ reason }, 0);
    for (const c of [this.registrations, this.deregistrations, this.rejections]) c.inc({ backend }, 0);
  }

  /** Catalog gauges, read from the state at scrape time. */
  watchState(state: CatalogState, sseClients: () => number): void {
    const registers = [this.prom];
    new Gauge({ name: "portolan_catalog_services", help: "Services in the catalog", registers, collect() { this.set(state.services().length); } });
    new Gauge({
      name: "portolan_catalog_instances",
      help: "Instances in the catalog, by health",
      labelNames: ["health"],
      registers,
      collect() {
        const n = { passing: 0, warning: 0, critical: 0 };
        for (const i of state.instances()) n[i.health]++;
        for (const [health, v] of Object.entries(n)) this.set({ health }, v);
      },
    });
    new Gauge({ name: "portolan_catalog_version", help: "Catalog snapshot version from the backend's watch", registers, collect() { this.set(state.version); } });
    new Gauge({ name: "portolan_catalog_sse_clients", help: "Connected /v1/events clients", registers, collect() { this.set(sseClients()); } });
  }

  /** Open connections and the bound, read at scrape time. */
  watchConnections(open: () => number, max: number): void {
    const registers = [this.prom];
    new Gauge({ name: "portolan_catalog_connections", help: "Open connections to the catalog server", registers, collect() { this.set(open()); } });
    new Gauge({ name: "portolan_catalog_max_connections", help: "Open connections allowed (--max-connections)", registers }).set(max);
  }

  /** A connection closed by the bound: the oldest idle one to admit a new one (evicted), or a new one (refused). */
  connectionClosed(outcome: "evicted" | "refused"): void {
    this.connectionsClosed.inc({ reason: outcome });
  }

  addSource(source: MetricsSource): void {
    this.sources.push(source);
  }

  onRegistratorEvent(e: RegistratorEvent): void {
    const backend = this.backend;
    switch (e.type) {
      case "registered":
        this.registrations.inc({ backend });
        this.expect(e.instance.id);
        return;
      case "deregistered":
        this.deregistrations.inc({ backend });
        this.expect(e.id);
        return;
      case "health":
        this.healthChanges.inc({ backend, health: e.health });
        this.expect(e.id);
        return;
      case "rejected":
        this.rejections.inc({ backend });
        return;
      default:
        return;
    }
  }

  /** The catalog saw these ids change: how long after the registrator wrote them. */
  seen(ids: Iterable<string>): void {
    const now = this.clock();
    for (const id of ids) {
      const t = this.pending.get(id);
      if (t === undefined) {
        // The watch can beat the registrator's event (an in-process registry): remember, for expect().
        this.recent.delete(id);
        this.recent.set(id, now);
        if (this.recent.size > LAG_PENDING_MAX) this.recent.delete(this.recent.keys().next().value!);
        continue;
      }
      this.pending.delete(id);
      this.watchLag.observe({ backend: this.backend }, Math.max(0, now - t) / 1000);
    }
  }

  backendOp(op: string, seconds: number, error?: unknown): void {
    this.backendLatency.observe({ backend: this.backend, op }, seconds);
    if (error !== undefined) this.backendErrors.inc({ backend: this.backend, op, kind: error instanceof Error ? error.name : "Error" });
  }

  setBackendUp(up: boolean): void {
    this.backendUp.set({ backend: this.backend }, up ? 1 : 0);
  }

  get contentType(): string {
    return this.prom.contentType;
  }

  async text(): Promise<string> {
    let out = await this.prom.metrics();
    for (const s of this.sources) out += familiesText(await s.families().catch(() => []));
    return out;
  }

  private expect(id: string): void {
    const seenAt = this.recent.get(id);
    if (seenAt !== undefined && this.clock() - seenAt < RECENT_MS) {
      this.recent.delete(id);
      this.watchLag.observe({ backend: this.backend }, 0);
      return;
    }
    this.pending.delete(id);
    this.pending.set(id, this.clock());
    if (this.pending.size > LAG_PENDING_MAX) this.pending.delete(this.pending.keys().next().value!);
  }
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (labels: Record<string, string> = {}) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
};
const num = (v: number) => (v === Infinity ? "+Inf" : String(v));

/** Metric families in Prometheus text format (non-finite sample values left out). */
export function familiesText(families: readonly MetricFamily[]): string {
  let out = "";
  for (const f of families) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
    if (f.type === "histogram") {
      for (const b of f.buckets) out += `${f.name}_bucket{le="${num(b.le)}"} ${b.count}\n`;
      out += `${f.name}_sum ${f.sum}\n${f.name}_count ${f.count}\n`;
      continue;
    }
    for (const s of f.samples) if (Number.isFinite(s.value)) out += `${f.name}${labelText(s.labels)} ${s.value}\n`;
  }
  return out;
}
