// `portolan catalog refusals`: what every host's registrator refuses now, as the backend shares it (or a catalog
// server serves it: portolan://), as a table or the API's JSON (`GET /v1/refusals`). A document from another
// process is checked and bounded again.
import { z } from "zod/v3";
import type { Registry } from "../core/registry.js";
import { decodeRefusals, sortHosts, type HostRefusals } from "../core/refusals.js";
import { BackendUnavailableError } from "../core/errors.js";
import { formatRefusals } from "./format.js";
import type { RefusalsDocument } from "./state.js";

const Served = z.object({ shared: z.boolean(), message: z.string().optional(), error: z.string().optional(), hosts: z.array(z.object({ host: z.string() }).passthrough()) });

/** A served /v1/refusals body, each host's document bounded again. */
export function servedRefusals(raw: unknown): RefusalsDocument {
  const d = Served.parse(raw);
  const hosts = d.hosts.flatMap((h) => decodeRefusals(h.host, JSON.stringify(h)) ?? []) as HostRefusals[];
  return { shared: d.shared, ...(d.message !== undefined ? { message: d.message } : {}), ...(d.error !== undefined ? { error: d.error } : {}), hosts: sortHosts(hosts) };
}

/** The backend's current refusals (its watch's first answer within `timeoutMs`), or that it does not share them. */
export async function backendRefusals(registry: Registry, signal: AbortSignal, timeoutMs: number): Promise<RefusalsDocument> {
  if (!registry.refusals) return { shared: false, message: `refusals are not shared by this backend (${registry.kind})`, hosts: [] };
  const stop = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  for await (const hosts of registry.refusals.watch(stop)) return { shared: true, hosts };
  throw new BackendUnavailableError({ backend: registry.kind, message: `no refusals within ${timeoutMs} ms` });
}

export interface PrintRefusalsOptions {
  json: boolean;
  write: (text: string) => void;
  warn: (text: string) => void;
}

export function printRefusals(doc: RefusalsDocument, o: PrintRefusalsOptions): void {
  if (o.json) return o.write(`${JSON.stringify(doc)}\n`);
  if (!doc.shared) return o.warn(`${doc.message ?? "refusals are not shared by this backend"}: each host's log says what its registrator refuses\n`);
  if (doc.error) o.warn(`the backend does not show the refusals now: ${doc.error}\n`);
  o.write(formatRefusals(doc.hosts));
}
