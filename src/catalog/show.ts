// `portolan catalog`: read the catalog once (or follow it with --watch) and print services or one service.
// The JSON printed is the HTTP API's document for the same view: `version` and `since` are this process's own.
import type { Registry } from "../core/registry.js";
import { BackendUnavailableError } from "../core/errors.js";
import { UnknownServiceError } from "./errors.js";
import { formatInstances, formatServices } from "./format.js";
import { CatalogState } from "./state.js";
import { serviceDocument, servicesDocument, type CatalogView, type InstanceFilter } from "./view.js";

export interface ShowOptions {
  registry: Registry;
  /** undefined: the service list; else this service's instances. */
  service?: string;
  filter: InstanceFilter;
  json: boolean;
  watch: boolean;
  /** Give up when no snapshot came within this long (counted from `startedAt`, default now). */
  timeoutMs: number;
  startedAt?: number;
  write: (text: string) => void;
  /** Clear the terminal between --watch views (a TTY). */
  clear: boolean;
  signal: AbortSignal;
}

/**
 * Renders one view of the catalog; throws UnknownServiceError for a service with no instance. JSON is the HTTP
 * API's document for the same view (servicesDocument / serviceDocument), built from the same CatalogState.
 */
export function render(v: CatalogView, o: Pick<ShowOptions, "service" | "filter" | "json">): string {
  if (o.service === undefined) {
    const doc = servicesDocument(v, o.filter);
    return o.json ? JSON.stringify(doc) + "\n" : formatServices(doc.services);
  }
  const doc = serviceDocument(v, o.service, o.filter);
  if (!doc) throw new UnknownServiceError(o.service);
  return o.json ? JSON.stringify(doc) + "\n" : formatInstances(doc.instances);
}

export async function show(o: ShowOptions): Promise<void> {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  o.signal.addEventListener("abort", stop, { once: true });
  let got = false;
  const timer = setTimeout(stop, Math.max(0, (o.startedAt ?? Date.now()) + o.timeoutMs - Date.now()));
  // What a catalog server keeps (each entry's `since`), so --json prints the API's document; no event log.
  const state = new CatalogState({ eventLog: 0 });
  try {
    for await (const snap of o.registry.watch(ctl.signal)) {
      if (!got) clearTimeout(timer);
      got = true;
      state.apply(snap);
      let text: string;
      try {
        text = render(state, o);
      } catch (err) {
        if (!(o.watch && err instanceof UnknownServiceError)) throw err;
        text = `${err.message}\n`;
      }
      if (o.watch && o.clear && !o.json) text = `\x1b[H\x1b[2J${text}`;
      o.write(text);
      if (!o.watch) break;
    }
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener("abort", stop);
    ctl.abort();
  }
  if (!got && !o.signal.aborted) {
    throw new BackendUnavailableError({ backend: o.registry.kind, message: `no catalog within ${o.timeoutMs} ms` });
  }
}
