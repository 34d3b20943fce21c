// `portolan catalog`: read the catalog once (or follow it with --watch) and print services or one service.
// The JSON printed is the HTTP API's shape minus `since` (which only a long-running catalog server knows).
import type { Instance } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { BackendUnavailableError } from "../core/errors.js";
import { UnknownServiceError } from "./errors.js";
import { formatInstances, formatServices } from "./format.js";
import { matches, servicesMatching, sortInstances, summarize, type InstanceFilter } from "./view.js";

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

/** Renders one view of `instances`; throws UnknownServiceError for a service with no instance. */
export function render(instances: Instance[], version: number, o: Pick<ShowOptions, "service" | "filter" | "json">): string {
  const all = sortInstances([...instances]);
  if (o.service === undefined) {
    const services = Object.keys(o.filter).length === 0 ? summarize(all) : servicesMatching(all, o.filter);
    return o.json ? JSON.stringify({ version, services }) + "\n" : formatServices(services);
  }
  const mine = all.filter((i) => i.name === o.service);
  if (mine.length === 0) throw new UnknownServiceError(o.service);
  const list = mine.filter((i) => matches(i, o.filter));
  return o.json ? JSON.stringify({ version, service: summarize(mine)[0], instances: list }) + "\n" : formatInstances(list);
}

export async function show(o: ShowOptions): Promise<void> {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  o.signal.addEventListener("abort", stop, { once: true });
  let got = false;
  const timer = setTimeout(stop, Math.max(0, (o.startedAt ?? Date.now()) + o.timeoutMs - Date.now()));
  try {
    for await (const snap of o.registry.watch(ctl.signal)) {
      if (!got) clearTimeout(timer);
      got = true;
      let text: string;
      try {
        text = render(snap.instances, snap.version, o);
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
