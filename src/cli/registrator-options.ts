// The registrator's flags and the one parser that checks them all before any effect (exit 64 naming the flag).
import { Command, Option } from "commander";
import { isIP } from "node:net";
import { hostname as osHostname } from "node:os";
import { FlagError } from "../core/errors.js";
import { MAX_TAG_LENGTH } from "../core/model.js";
import { durationFlag, intFlag } from "../core/util.js";
import { CONTROL_CHARS, ownerProblem } from "../core/validate.js";
import { MIN_CHECK_INTERVAL_MS } from "../docker/checks.js";
import { DEFAULT_MAX_SERVICES } from "../docker/mapping.js";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_RESYNC_MS,
  DEFAULT_RETRY_INTERVAL_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type RegistratorOptions,
} from "../registrator/registrator.js";
import { LOG_LEVELS, resolveLogLevel, type LogFormat } from "../core/log.js";


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
  maxServices: string;
  shutdownTimeout: string;
  logFormat: LogFormat;
  logLevel?: string;
}


/** `--log-format`, as every long-running command takes it. */
export function logFormatOption(): Option {
  return new Option("--log-format <format>", "log format").choices(["json", "pretty", "auto"]).default("auto");
}

/** `--log-level`, as every command takes it: validated by resolveLogLevel() (falls back to $PORTOLAN_LOG_LEVEL, then info). */
export function logLevelOption(): Option {
  return new Option("--log-level <level>", `log level: ${LOG_LEVELS.join(", ")} (default: $PORTOLAN_LOG_LEVEL or info)`);
}

/** Adds the registrator's flags (gliderlabs/registrator-compatible where they make sense). */
export function addRegistratorFlags(cmd: Command): Command {
  return cmd
    .option("--ip <address>", "address to register for published ports (default: the port binding's host IP)")
    .option("--internal", "register the container IP and exposed port instead of the published host port")
    .option("--explicit", "only register services that have SERVICE_NAME (or SERVICE_<port>_NAME)")
    .option("--tags <list>", "comma-separated tags appended to every service")
    .option("--ttl <duration>", "add a TTL check to every service (seconds or 30s/1m); portolan heartbeats it")
    .option("--ttl-refresh <duration>", `refresh health and TTL checks at this interval, at least ${MIN_TTL_REFRESH_MS}ms (default: half of each TTL)`)
    .option("--resync <duration>", "full reconcile interval (seconds or 30s/5m; 0 = only after Docker reconnects)", String(DEFAULT_RESYNC_MS / 1000))
    .option("--cleanup", "remove entries owned by this host whose container is gone (also those of earlier runs)")
    .addOption(new Option("--deregister <mode>", "when a container stops: always, or on-success (keep entries of containers that exit non-zero)").choices(["always", "on-success"]).default("always"))
    .option("--deregister-on-exit", "remove this host's entries on SIGTERM/SIGINT (default: leave them for the next start to reconcile)")
    .option("--retry-attempts <n>", "attempts per backend operation before leaving it to the next resync: -1 (for ever) or 1 or more", "-1")
    .option("--retry-interval <duration>", "first retry delay, doubled with jitter up to 30s (milliseconds or 1s)", String(DEFAULT_RETRY_INTERVAL_MS))
    .option("--hostname <name>", "owner name and service ID prefix (default: this machine's hostname)")
    .option("--network <name>", "with --internal: network whose container address is registered; it must exist in Docker, and a container not on it (nor on its SERVICE_NETWORK) is refused with one log line")
    .option("--concurrency <n>", "containers synced at once", String(DEFAULT_CONCURRENCY))
    .option("--max-services <n>", "services one container may register; the rest are refused with one log line", String(DEFAULT_MAX_SERVICES))
    .option("--shutdown-timeout <duration>", "on SIGTERM/SIGINT, stop (and --deregister-on-exit) within this long (seconds or 10s)", `${DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000}`)
    .addOption(logFormatOption())
    .addOption(logLevelOption());
}

/** Shortest `--ttl-refresh`: half the shortest check interval Consul is given. */
export const MIN_TTL_REFRESH_MS = MIN_CHECK_INTERVAL_MS / 2;

/** Shortest `--resync` other than 0: each one lists and inspects every container and reads the backend. */
export const MIN_RESYNC_MS = 1_000;

/** `--resync`: 0 (events only) or at least MIN_RESYNC_MS (`--resync 1ms` kept a core busy re-reading everything). */
function resyncFlag(text: string): number {
  const ms = durationFlag("resync", text, { bareUnitMs: 1000, minMs: 0 });
  if (ms !== 0 && ms < MIN_RESYNC_MS) throw new FlagError("resync", `${JSON.stringify(text)} is below the minimum of ${MIN_RESYNC_MS} ms (0 = events only)`);
  return ms;
}

/** `--retry-attempts`: -1 (for ever, the default) or a positive count; the message states both. */
function retryAttemptsFlag(text: string): number {
  if (text.trim() === "-1") return -1;
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new FlagError("retry-attempts", `expected -1 (for ever) or an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got ${JSON.stringify(text)}`);
  return n;
}

function ownerFlag(given: string | undefined): string {
  const owner = given ?? osHostname();
  const problem = ownerProblem(owner);
  if (problem) {
    const what = given === undefined ? `this machine's hostname ${JSON.stringify(owner)} (set --hostname)` : JSON.stringify(owner);
    throw new FlagError("hostname", `${what} ${problem}`);
  }
  return owner;
}

function tagsFlag(text: string | undefined): string[] {
  const tags = text ? text.split(",").map((t) => t.trim()).filter(Boolean) : [];
  for (const t of tags) {
    if (CONTROL_CHARS.test(t) || t.length > MAX_TAG_LENGTH) throw new FlagError("tags", `tag ${JSON.stringify(t)} has a control character or is over ${MAX_TAG_LENGTH} characters`);
  }
  return tags;
}

/** Every flag checked before any effect: a bad one is a UsageError (exit 64) naming it. */
export function registratorOptions(f: RegistratorFlags): RegistratorOptions & { shutdownTimeoutMs: number } {
  const owner = ownerFlag(f.hostname);
  if (f.ip !== undefined && isIP(f.ip) === 0) throw new FlagError("ip", `${JSON.stringify(f.ip)} is not an IPv4 or IPv6 address`);
  if (f.network !== undefined && (f.network.trim() === "" || CONTROL_CHARS.test(f.network))) throw new FlagError("network", `${JSON.stringify(f.network)} is not a network name`);
  if (f.network !== undefined && !f.internal) throw new FlagError("network", "applies only with --internal (published ports register a host address, never a network's)");
  resolveLogLevel(f.logLevel);
  const ttlMs = f.ttl !== undefined ? durationFlag("ttl", f.ttl, { bareUnitMs: 1000, minMs: MIN_CHECK_INTERVAL_MS }) : undefined;
  return {
    owner,
    mapping: {
      hostname: owner,
      hostIp: f.ip,
      internal: f.internal ?? false,
      explicit: f.explicit ?? false,
      tags: tagsFlag(f.tags),
      network: f.network,
      ttlMs,
      maxServices: intFlag("max-services", f.maxServices, 1, 65_535 * 2),
    },
    cleanup: f.cleanup ?? false,
    deregister: f.deregister,
    resyncMs: resyncFlag(f.resync),
    ttlRefreshMs: f.ttlRefresh !== undefined ? durationFlag("ttl-refresh", f.ttlRefresh, { bareUnitMs: 1000, minMs: MIN_TTL_REFRESH_MS }) : undefined,
    retryAttempts: retryAttemptsFlag(f.retryAttempts),
    retryIntervalMs: durationFlag("retry-interval", f.retryInterval, { bareUnitMs: 1 }),
    concurrency: intFlag("concurrency", f.concurrency, 1, 1024),
    shutdownTimeoutMs: durationFlag("shutdown-timeout", f.shutdownTimeout, { bareUnitMs: 1000 }),
  };
}

