// Feeds the catalog state from a Registry: its watch() for the content, a periodic probe for "is the backend
// reachable" (adapters retry their watches internally, so a dead backend shows only as silence there): seldom while
// it answers, often while it does not.
import { BackendAuthError, errorText } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { backoff, delay } from "../core/util.js";
import type { CatalogMetrics } from "./metrics.js";
import type { CatalogState } from "./state.js";

/**
 * While the backend answers: 10 probes a minute, the most an idle reader may send beyond its long polls (DESIGN.md,
 * "Cost rule for a fleet"); a backend that stops answering is seen within this plus DEFAULT_PROBE_TIMEOUT_MS.
 */
export const DEFAULT_PROBE_INTERVAL_MS = 6_000;
/** While it does not answer (or before its first answer): recovery is seen within this. */
export const DEFAULT_PROBE_DOWN_INTERVAL_MS = 2_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

export interface FeedOptions {
  registry: Registry;
  state: CatalogState;
  logger: Logger;
  /** Resolves when the backend answers; rejects (or outlasts probeTimeoutMs) when it does not. */
  probe: (signal: AbortSignal) => Promise<void>;
  /** Between probes while the backend answers (DEFAULT_PROBE_INTERVAL_MS). */
  probeIntervalMs?: number;
  /** Between probes while it does not (DEFAULT_PROBE_DOWN_INTERVAL_MS). */
  probeDownIntervalMs?: number;
  probeTimeoutMs?: number;
  metrics?: CatalogMetrics;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Runs until `signal` aborts. */
export async function runFeed(o: FeedOptions, signal: AbortSignal): Promise<void> {
  await Promise.all([watchLoop(o, signal), probeLoop(o, signal), refusalLoop(o, signal)]);
}

/** After refused credentials, the refusals are asked for again this seldom (an idle catalog sends almost nothing). */
export const REFUSALS_DENIED_RETRY_MS = 300_000;

/** The hosts' refusals, from the backend's one watch of them; where it has none, the state says so. */
async function refusalLoop(o: FeedOptions, signal: AbortSignal): Promise<void> {
  const store = o.registry.refusals;
  if (!store) return void o.state.setRefusals({ shared: false, message: `refusals are not shared by this backend (${o.registry.kind})`, hosts: [] });
  const sleep = o.sleep ?? delay;
  let attempt = 0;
  while (!signal.aborted) {
    let wait: number;
    try {
      for await (const hosts of store.watch(signal)) {
        attempt = 0;
        o.state.setRefusals({ shared: true, hosts });
      }
      wait = backoff(attempt++);
    } catch (err) {
      if (signal.aborted) return;
      const denied = err instanceof BackendAuthError;
      o.logger.warn({ err: errorText(err) }, denied ? "the backend refuses to show the refusals to these credentials" : "refusals watch failed; retrying");
      o.state.setRefusals({ shared: true, error: errorText(err), hosts: [] });
      wait = denied ? REFUSALS_DENIED_RETRY_MS : backoff(attempt++);
    }
    if (!signal.aborted) await sleep(wait, signal);
  }
}

async function watchLoop(o: FeedOptions, signal: AbortSignal): Promise<void> {
  const sleep = o.sleep ?? delay;
  let attempt = 0;
  while (!signal.aborted) {
    try {
      for await (const snap of o.registry.watch(signal)) {
        attempt = 0;
        const e = o.state.apply(snap);
        if (e?.type === "change") o.metrics?.seen([...e.data.added.map((i) => i.id), ...e.data.changed.map((i) => i.id), ...e.data.removed]);
      }
    } catch (err) {
      if (signal.aborted) return;
      o.logger.warn({ err: errorText(err) }, "catalog watch failed; retrying");
    }
    if (!signal.aborted) await sleep(backoff(attempt++), signal);
  }
}

async function probeLoop(o: FeedOptions, signal: AbortSignal): Promise<void> {
  const sleep = o.sleep ?? delay;
  const timeoutMs = o.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  while (!signal.aborted) {
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    signal.addEventListener("abort", stop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        o.probe(ctl.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (signal.aborted) return;
      if (o.state.backend !== "up") o.logger.info({ backend: o.registry.kind }, "backend reachable");
      o.state.setBackend("up");
      o.metrics?.setBackendUp(true);
    } catch (err) {
      if (signal.aborted) return;
      if (o.state.backend !== "down") o.logger.warn({ backend: o.registry.kind, err: errorText(err) }, "backend unreachable");
      o.state.setBackend("down", errorText(err));
      o.metrics?.setBackendUp(false);
    } finally {
      clearTimeout(timer);
      ctl.abort();
      signal.removeEventListener("abort", stop);
    }
    const up = o.state.backend === "up";
    await sleep(up ? (o.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS) : (o.probeDownIntervalMs ?? DEFAULT_PROBE_DOWN_INTERVAL_MS), signal);
  }
}

