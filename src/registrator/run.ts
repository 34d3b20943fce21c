// How the registrator runs as a process: check the Docker options, open the backend (a stop while it has not
// answered ends at once), start companions (`portolan up`: catalog, DNS), run until the stop signal, then stop
// within the bound. `portolan registrator` and `portolan up` parse flags and wire the backend (src/cli).
import { REAL_CLOCK, settlesWithin } from "../core/clock.js";
import { BackendAuthError, errorText } from "../core/errors.js";
import { joinHostPort } from "../core/host-port.js";
import type { Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { EARLY_STOP_MS, exitAfter, startUnlessStopped } from "../core/stopping.js";
import { describeRejection } from "../docker/mapping.js";
import { requireNetwork } from "../docker/networks.js";
import type { RegistratorEvent } from "./events.js";
import { RefusalPublisher } from "./refusal-publisher.js";
import { Registrator, retryDelay, type RegistratorOptions } from "./registrator.js";

/** One log line per state change; never logs metadata values beyond the instance itself. */
export function logEvent(log: Logger, e: RegistratorEvent): void {
  switch (e.type) {
    case "registered":
      return log.info({ id: e.instance.id, service: e.instance.name, address: joinHostPort(e.instance.address, e.instance.port), health: e.instance.health, reason: e.reason }, "registered");
    case "deregistered":
      return log.info({ id: e.id, service: e.name, reason: e.reason }, "deregistered");
    case "health":
      return log.info({ id: e.id, service: e.name, health: e.health }, "health changed");
    case "rejected":
      return log.warn({ container: e.rejection.container, key: e.rejection.key }, describeRejection(e.rejection));
    case "refusals":
      return log.debug({ refused: e.refusals.length }, "refused services changed");
    case "backend-error":
      // Refused credentials were already reported once, loudly, by the adapter (AuthFailures): no line per attempt.
      if (e.error instanceof BackendAuthError) return log.debug({ op: e.op, id: e.id, attempt: e.attempt, err: errorText(e.error) }, "backend refuses the credentials; retrying");
      return log.warn({ op: e.op, id: e.id, attempt: e.attempt, err: errorText(e.error) }, "backend operation failed; retrying");
    case "docker-error":
      return log.warn({ attempt: e.attempt, err: errorText(e.error) }, "docker unavailable; retrying");
    case "docker-connected":
      return log.info({ resumedFrom: e.resumedFromNano?.toString() }, "docker event stream connected");
    case "resync":
      return log.info({ durationMs: e.durationMs, containers: e.containers, writes: e.writes }, "resync done");
    case "stopped":
      if (e.left.length === 0) return log.info({ deregistered: e.deregistered, timedOut: e.timedOut }, "shutdown done");
      return log.warn(
        { deregistered: e.deregistered, left: e.left.length, ids: e.left.slice(0, 50) },
        `shutdown timeout: ${e.left.length} entries left registered; the next start (or --cleanup) removes those whose container is gone`,
      );
  }
}


/** Waits for dockerd to list its networks (false: stopped first); UnknownNetworkError when `network` is not one. */
async function networkKnown(network: string, list: () => Promise<string[]>, stopped: Promise<unknown>, retryIntervalMs: number, log: Logger): Promise<boolean> {
  const stop = new AbortController();
  void stopped.then(() => stop.abort());
  const onError = (error: unknown, attempt: number) => logEvent(log, { type: "docker-error", error, attempt });
  return requireNetwork(network, list, { clock: REAL_CLOCK, signal: stop.signal, retryDelay: (n) => retryDelay(n, retryIntervalMs), onError });
}

/** Kept from --shutdown-timeout after the deregistration: time to report what is left and close the rest. */
const REPORT_RESERVE_MS = 200;

/** Something running beside the registrator in one process (`portolan up`: catalog, DNS); see runRegistrator. */
export interface Companion {
  /** Used by the registrator instead of the opened registry (e.g. an instrumented wrapper). */
  registry?: Registry;
  /** Sees every registrator event (after it is logged). */
  onEvent?: (e: RegistratorEvent) => void;
  stop(): Promise<void>;
}

/** What runRegistrator needs: the options parsed, the backend to open, the stop signal, the logger. */
export interface RegistratorRun {
  options: RegistratorOptions;
  /** The bound of the stop: deregistration, companions and the backend's close all end within it. */
  shutdownTimeoutMs: number;
  deregisterOnExit: boolean;
  /** Opens the backend and checks it accepts our writes (refused credentials reject: a start-up error). */
  open: () => Promise<Registry>;
  /** Started after the backend is open, stopped before it closes. */
  companions?: ((registry: Registry, log: Logger, owner: string) => Promise<Companion>)[];
  /** Resolves with the signal that stops the registrator (SIGTERM/SIGINT). */
  stopped: Promise<NodeJS.Signals>;
  /** The base logger (adapters and companions add their own component). */
  log: Logger;
}

/**
 * Runs a registrator until `stopped`. `companions` start after the registry is open and stop before it closes.
 * Shutdown is bounded by `shutdownTimeoutMs`: stop and deregister what fits, log what is left, end the process.
 */
export async function runRegistrator(o: RegistratorRun): Promise<void> {
  const { options: opts, shutdownTimeoutMs, stopped, companions = [] } = o;
  const base = o.log;
  const log = base.child({ component: "registrator" });
  // DOCKER_HOST & co. are options too: checked before the backend is opened or anything starts.
  const { httpDockerPort, listNetworkNames } = await import("../docker/client.js");
  const docker = httpDockerPort();
  if (opts.mapping.network !== undefined) {
    // Checked before the backend is opened: a --network dockerd does not have is a usage error with no effect.
    const known = await networkKnown(opts.mapping.network, listNetworkNames, stopped, opts.retryIntervalMs, log);
    if (!known) return log.info("stopped before docker answered");
  }
  // A signal while the backend has not answered yet (a dead or silent agent: Consul's check waits 10 s) stops at
  // once: nothing is registered yet, so there is nothing to wait for.
  const opening = o.open();
  const boundMs = Math.min(EARLY_STOP_MS, shutdownTimeoutMs);
  const opened = await startUnlessStopped(opening, stopped, (r) => r.close(), log, { message: "stopped before the backend answered", boundMs });
  if (!opened) return;
  const started: Companion[] = [];
  let registry = opened;
  try {
    for (const start of companions) {
      const c = await start(registry, base, opts.owner);
      started.push(c);
      registry = c.registry ?? registry;
    }
  } catch (err) {
    // e.g. the catalog's --listen address is taken: stop what started, close the backend, report.
    for (const c of started.reverse()) await c.stop().catch(() => {});
    await opened.close().catch(() => {});
    throw err;
  }
  const sinks = started.flatMap((c) => (c.onEvent ? [c.onEvent] : []));
  // Refusals shared through the backend where it can (any catalog then shows them); else only this host's log.
  const publisher = registry.refusals && new RefusalPublisher({ store: registry.refusals, host: opts.owner, clock: REAL_CLOCK, log });
  if (!publisher) log.info({ backend: registry.kind }, "refusals are not shared by this backend: they are in this log only");
  const registrator = new Registrator(docker, registry, opts, (e) => {
    logEvent(log, e);
    if (e.type === "refusals") publisher?.update(e.refusals);
    for (const sink of sinks) sink(e);
  });
  log.info({ owner: opts.owner, backend: registry.kind }, "starting");
  await Promise.race([registrator.start().then(() => publisher?.start()), stopped]);
  const signal = await stopped;
  const deadline = Date.now() + shutdownTimeoutMs;
  log.info({ signal, deregisterOnExit: o.deregisterOnExit, timeoutMs: shutdownTimeoutMs }, "stopping");
  exitAfter(shutdownTimeoutMs, log);
  // The deregistration stops a little before the bound, so what it left is reported before the process ends.
  const stopping = registrator.stop({ deregisterAll: o.deregisterOnExit, timeoutMs: shutdownTimeoutMs - Math.min(REPORT_RESERVE_MS, shutdownTimeoutMs / 10) });
  const remaining = () => Math.max(0, deadline - Date.now());
  const closeAll = async () => {
    await publisher?.stop(remaining());
    for (const c of started.reverse()) await settlesWithin(REAL_CLOCK, remaining(), c.stop());
    await settlesWithin(REAL_CLOCK, remaining(), opened.close());
  };
  // Nothing left to write (no --deregister-on-exit): the backend closes at once, failing the requests in flight (a
  // write to a backend that does not answer held the stop for its operation timeout, 10 s); the registrator's loops,
  // already stopped, take that as no failure. Otherwise the deregistration runs first, within the bound.
  if (o.deregisterOnExit) {
    await stopping;
    await closeAll();
  } else await Promise.all([stopping, closeAll()]);
  log.info("stopped");
}
