// How a long-running command (registrator, up, dns, catalog serve) ends: a stop signal that comes while it is
// still starting, and the bound that ends the process when something it cannot end holds the event loop.
import { REAL_CLOCK, settlesWithin } from "./clock.js";
import type { Logger } from "./log.js";
import type { Registry } from "./registry.js";

/** How long a stop during start-up waits for what was starting (a half-open backend connection) to close. */
export const EARLY_STOP_MS = 1_000;

/**
 * The bound of a stop: whatever still holds the event loop `ms` from now (a backend request that never answers,
 * a connection a peer keeps open) ends with the process, exit 0, one line saying so. Every timer and request of
 * the command ends with its stop, so a process whose work is done exits before this fires.
 */
export function exitAfter(ms: number, log: Logger): void {
  setTimeout(() => {
    log.warn({ timeoutMs: ms }, "shutdown timeout reached; exiting with requests still open");
    process.exit(0);
  }, ms).unref();
}

/**
 * `starting`'s value, or undefined when a stop signal came first: then what `starting` gives is closed as soon as
 * it does, and the process ends within `boundMs` (one line `message`). A start-up that fails before the signal
 * rejects as it would without one.
 */
export async function startUnlessStopped<T>(
  starting: Promise<T>,
  stopped: Promise<NodeJS.Signals>,
  close: (started: T) => Promise<unknown>,
  log: Logger,
  o: { message: string; boundMs?: number },
): Promise<T | undefined> {
  const first = await Promise.race([starting.then((value) => ({ value })), stopped.then((signal) => ({ signal }))]);
  if ("value" in first) return first.value;
  const boundMs = o.boundMs ?? EARLY_STOP_MS;
  log.info({ signal: first.signal }, o.message);
  exitAfter(boundMs, log);
  await settlesWithin(REAL_CLOCK, boundMs, starting.then(close).catch(() => {}));
  return undefined;
}

/** Something a server command runs until it is stopped. */
export interface Serving {
  close(): Promise<void>;
}

/**
 * The life of a server command (dns, catalog serve): open the registry, `check` it can be read, `serve` it; then
 * wait for the stop signal and close both. A stop during start-up (a backend that has not answered, workers still
 * starting) closes whatever started at once. False when it stopped before it served.
 */
export async function serveUntilStopped(o: {
  open: () => Promise<Registry>;
  /** Rejects when the registry refuses to be read (refused credentials: the command's start-up error). */
  check: (registry: Registry) => Promise<void>;
  serve: (registry: Registry) => Promise<Serving>;
  stopped: Promise<NodeJS.Signals>;
  log: Logger;
}): Promise<boolean> {
  const starting = (async () => {
    const registry = await o.open();
    try {
      await o.check(registry);
      return { registry, serving: await o.serve(registry) };
    } catch (err) {
      await registry.close().catch(() => {});
      throw err;
    }
  })();
  const close = async (s: { registry: Registry; serving: Serving }) => {
    await s.serving.close();
    await s.registry.close();
  };
  const started = await startUnlessStopped(starting, o.stopped, close, o.log, { message: "stopped during start-up" });
  if (!started) return false;
  await o.stopped;
  await close(started);
  return true;
}
