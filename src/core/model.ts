// The service model shared by every stage: zod schemas are the source of truth, types are inferred.
// zod/v3 (shipped in zod 4): the same API for our use at a fraction of v4's start-up cost on Node 20
// (+3 MiB RSS and 35 ms to import, against +14 MiB and 130 ms for "zod"), measured; start-up is on the
// registrator's memory budget and the entrypoint's latency budget.
import { z } from "zod/v3";

/** A DNS label (RFC 1123): what service names and tags must be so DNS and Java readers never choke. */
export const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** portolan's own bounds, the same for every backend (adapters add theirs: see each adapter's validate()). */
export const MAX_TAG_LENGTH = 255;
export const MAX_META_KEYS = 64;
export const MAX_META_VALUE = 4096;
/** Check output a backend reports is untrusted text: at most this many characters reach the model (see boundText). */
export const MAX_CHECK_OUTPUT = 1024;

export const HealthSchema = z.enum(["passing", "warning", "critical"]);
export type Health = z.infer<typeof HealthSchema>;

export const CheckSchema = z.object({
  type: z.enum(["http", "https", "tcp", "ttl"]),
  /** URL for http/https, host:port for tcp; absent for ttl. */
  target: z.string().optional(),
  /** Milliseconds. For ttl checks this is the TTL. */
  intervalMs: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  initialStatus: HealthSchema.optional(),
  deregisterAfterMs: z.number().int().positive().optional(),
  tlsSkipVerify: z.boolean().optional(),
});
export type Check = z.infer<typeof CheckSchema>;

export const InstanceSchema = z.object({
  /** `<hostname>:<container-name>:<exposed-port>[:udp]`, as gliderlabs/registrator. */
  id: z.string().min(1).max(512),
  name: z.string().regex(DNS_LABEL),
  address: z.string().min(1),
  /**
   * The port, or null for a service registered without one (a container that exposes none: workers, batch jobs,
   * sidecars). Every reader says how it shows a port-less instance (docs/registrator.md "Port-less containers").
   */
  port: z.number().int().min(1).max(65535).nullable(),
  protocol: z.enum(["tcp", "udp"]),
  tags: z.array(z.string().max(MAX_TAG_LENGTH)),
  meta: z.record(z.string(), z.string().max(MAX_META_VALUE)).refine((m) => Object.keys(m).length <= MAX_META_KEYS, `at most ${MAX_META_KEYS} metadata keys`),
  checks: z.array(CheckSchema),
  health: HealthSchema,
  /** Hostname of the registrator that owns this entry; `--cleanup` only touches its own. */
  owner: z.string().min(1),
  container: z.object({ id: z.string(), name: z.string() }).optional(),
  /** SERVICE_TAG_OVERRIDE: Consul's EnableTagOverride (others may edit the tags in Consul); other backends ignore it. */
  enableTagOverride: z.boolean().optional(),
  /**
   * What the backend reports of this entry, not part of its registration (readers' watches fill them; the
   * registrator's plan ignores them): the output of its checks (Consul: each check's Output), bounded and without
   * control characters; and the ISO 8601 time the backend registered it, where the backend stores one (ZooKeeper:
   * the node's ctime; Eureka: registrationTimestamp; Consul and etcd keep none).
   */
  checkOutput: z.string().max(MAX_CHECK_OUTPUT).optional(),
  registeredAt: z.string().optional(),
});
export type Instance = z.infer<typeof InstanceSchema>;

/**
 * Enough to find an entry again in any backend. With `owner`, the adapter removes or changes the entry only while
 * that owner holds it: an entry another owner holds is left alone.
 */
export type InstanceRef = Pick<Instance, "id" | "name"> & { owner?: string };

/** What a backend holds at one moment; `version` grows with every change seen. */
export interface CatalogSnapshot {
  version: number;
  instances: Instance[];
}

/** Only passing instances are answered by DNS and offered to templates. */
export function isPassing(i: Instance): boolean {
  return i.health === "passing";
}

/**
 * Untrusted text (labels, check output) made safe to publish and show: control characters but newline and tab
 * become U+FFFD, and at most `max` characters are kept (cut with "…" at the end). Escaping for HTML or JSON is the
 * writer's job; this bounds what there is to escape.
 */
export function boundText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\ufffd");
  return clean.length <= max ? clean : `${clean.slice(0, Math.max(0, max - 1))}…`;
}
