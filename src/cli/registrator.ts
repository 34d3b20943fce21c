// `portolan registrator [flags] REGISTRY_URI`: keeps every running container's services registered.
import { Command, Option } from "commander";
import { hostname as osHostname } from "node:os";
import { BackendAuthError, UsageError } from "../core/errors.js";
import { createLogger, resolveLogLevel, type LogFormat, type Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from "../core/util.js";
import { describeRejection } from "../docker/mapping.js";
import type { RegistratorEvent } from "../registrator/events.js";
import { DEFAULT_CONCURRENCY, DEFAULT_RESYNC_MS, DEFAULT_RETRY_INTERVAL_MS, Registrator, type RegistratorOptions } from "../registrator/registrator.js";
import { openRegistry, REGISTRY_URI_HELP } from "./registry-uri.js";
import { defaultSignal, takeSignals } from "./signals.js";

export interface RegistratorFlags {
  ip?: string;
  internal?: boolean;
  explicit?: boolean;
  tags?: string;
  ttl?: string;
  ttlRefresh?: string;
  resync: string;
  cleanup?: boolean;
  deregister: "always" | "on-success";
  deregisterOnExit?: boolean;
  retryAttempts: string;
  retryInterval: string;
  hostname?: string;
  network?: string;
  concurrency: string;
  logFormat: LogFormat;
  logLevel?: string;
}

/** Adds the registrator's flags (gliderlabs/registrator-compatible where they make sense). */
export function addRegistratorFlags(cmd: Command): Command {
  return cmd
    .option("--ip <address>", "address to register for published ports (default: the port binding's host IP)")
    .option("--internal", "register the container IP and exposed port instead of the published host port")
    .option("--explicit", "only register services that have SERVICE_NAME (or SERVICE_<port>_NAME)")
    .option("--tags <list>", "comma-separated tags appended to every service")
    .option("--ttl <duration>", "add a TTL check to every service (seconds or 30s/1m); portolan heartbeats it")
    .option("--ttl-refresh <duration>", "refresh health and TTL checks at this interval (default: half of each TTL)")
    .option("--resync <duration>", "full reconcile interval (seconds or 30s/5m; 0 = only after Docker reconnects)", String(DEFAULT_RESYNC_MS / 1000))
    .option("--cleanup", "remove entries owned by this host whose container is gone (also those of earlier runs)")
    .addOption(new Option("--deregister <mode>", "when a container stops: always, or on-success (keep entries of containers that exit non-zero)").choices(["always", "on-success"]).default("always"))
    .option("--deregister-on-exit", "remove this host's entries on SIGTERM/SIGINT (default: leave them for the next start to reconcile)")
    .option("--retry-attempts <n>", "attempts per backend operation before leaving it to the next resync (-1 = forever)", "-1")
    .option("--retry-interval <duration>", "first retry delay, doubled with jitter up to 30s (milliseconds or 1s)", String(DEFAULT_RETRY_INTERVAL_MS))
    .option("--hostname <name>", "owner name and service ID prefix (default: this machine's hostname)")
    .option("--network <name>", "network whose container address is used with --internal (SERVICE_NETWORK overrides per container)")
    .option("--concurrency <n>", "containers synced at once", String(DEFAULT_CONCURRENCY))
    .addOption(new Option("--log-format <format>", "log format").choices(["json", "pretty", "auto"]).default("auto"))
    .option("--log-level <level>", "log level: trace, debug, info, warn, error, fatal, silent (default: $PORTOLAN_LOG_LEVEL or info)");
}

/** Parses "30", "30s", "1m30s" into ms; bare numbers are in `bareUnitMs` units (registrator compatibility). */
export function durationFlag(flag: string, text: string, bareUnitMs: number): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text) * bareUnitMs : parseDuration(text);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) throw new UsageError(`--${flag}: not a duration: ${JSON.stringify(text)} (examples: 30, 30s, 1m30s)`);
  if (ms > MAX_DURATION_MS) throw new UsageError(`--${flag}: ${JSON.stringify(text)} is longer than the maximum ${MAX_DURATION_TEXT}`);
  return ms;
}

function intFlag(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

export function registratorOptions(f: RegistratorFlags): RegistratorOptions {
  const owner = f.hostname ?? osHostname();
  const ttlMs = f.ttl !== undefined ? durationFlag("ttl", f.ttl, 1000) : undefined;
  return {
    owner,
    mapping: {
      hostname: owner,
      hostIp: f.ip,
      internal: f.internal ?? false,
      explicit: f.explicit ?? false,
      tags: f.tags ? f.tags.split(",").map((t) => t.trim()).filter(Boolean) : [],
      network: f.network,
      ttlMs,
    },
    cleanup: f.cleanup ?? false,
    deregister: f.deregister,
    resyncMs: durationFlag("resync", f.resync, 1000),
    ttlRefreshMs: f.ttlRefresh !== undefined ? durationFlag("ttl-refresh", f.ttlRefresh, 1000) : undefined,
    retryAttempts: f.retryAttempts === "-1" ? -1 : intFlag("retry-attempts", f.retryAttempts, 1),
    retryIntervalMs: durationFlag("retry-interval", f.retryInterval, 1),
    concurrency: intFlag("concurrency", f.concurrency, 1),
  };
}

/** One log line per state change; never logs metadata values beyond the instance itself. */
export function logEvent(log: Logger, e: RegistratorEvent): void {
  switch (e.type) {
    case "registered":
      return log.info({ id: e.instance.id, service: e.instance.name, address: `${e.instance.address}:${e.instance.port}`, health: e.instance.health, reason: e.reason }, "registered");
    case "deregistered":
      return log.info({ id: e.id, service: e.name, reason: e.reason }, "deregistered");
    case "health":
      return log.info({ id: e.id, service: e.name, health: e.health }, "health changed");
    case "rejected":
      return log.warn({ container: e.rejection.container, key: e.rejection.key }, describeRejection(e.rejection));
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
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Something running beside the registrator in one process (`portolan up`: catalog, DNS); see runRegistrator. */
export interface Companion {
  /** Used by the registrator instead of the opened registry (e.g. an instrumented wrapper). */
  registry?: Registry;
  /** Sees every registrator event (after it is logged). */
  onEvent?: (e: RegistratorEvent) => void;
  stop(): Promise<void>;
}

/**
 * Runs a registrator until SIGTERM/SIGINT (a second one ends the process at once). Every other signal gets
 * signals.ts's default (HUP/QUIT end it, USR1/USR2/ALRM are ignored). `open` gets the base logger (adapters add
 * their own component); `companions` start after the registry is open and stop before it closes.
 */
export async function runRegistrator(
  f: RegistratorFlags,
  open: (log: Logger) => Promise<Registry>,
  companions: ((registry: Registry, log: Logger) => Promise<Companion>)[] = [],
): Promise<void> {
  let stopping = false;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    takeSignals((sig) => {
      if ((sig !== "SIGTERM" && sig !== "SIGINT") || stopping) return defaultSignal(sig);
      stopping = true;
      resolve(sig);
    });
  });
  const opts = registratorOptions(f);
  const base = createLogger({ format: f.logFormat, level: resolveLogLevel(f.logLevel) });
  const log = base.child({ component: "registrator" });
  const { httpDockerPort } = await import("../docker/client.js");
  const opened = await open(base);
  await checkAccessAtStart(opened, log);
  const started: Companion[] = [];
  let registry = opened;
  try {
    for (const start of companions) {
      const c = await start(registry, base);
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
  const registrator = new Registrator(httpDockerPort(), registry, opts, (e) => {
    logEvent(log, e);
    for (const sink of sinks) sink(e);
  });
  log.info({ owner: opts.owner, backend: registry.kind }, "starting");
  await Promise.race([registrator.start(), stopped]);
  const signal = await stopped;
  log.info({ signal, deregisterOnExit: f.deregisterOnExit ?? false }, "stopping");
  await registrator.stop({ deregisterAll: f.deregisterOnExit ?? false });
  for (const c of started.reverse()) await c.stop();
  await opened.close();
  log.info("stopped");
}

/**
 * Credentials the backend refuses at start-up are a configuration error (main exits with EXIT_CONFIG);
 * a backend that cannot answer now is left to the loops' retries.
 */
async function checkAccessAtStart(registry: Registry, log: Logger): Promise<void> {
  try {
    await registry.checkAccess?.("write");
  } catch (err) {
    if (err instanceof BackendAuthError) {
      await registry.close();
      throw err;
    }
    log.warn({ err: errorText(err) }, "could not check the backend's credentials at start-up; continuing");
  }
}

export function registratorCommand(): Command {
  return addRegistratorFlags(new Command("registrator"))
    .description("Watch the local Docker engine (DOCKER_HOST or /var/run/docker.sock) and keep every running container's services registered.")
    .argument("<registry-uri>", REGISTRY_URI_HELP)
    .action(async (uri: string, f: RegistratorFlags) => {
      await runRegistrator(f, (log) => openRegistry(uri, { logger: log }));
    });
}
