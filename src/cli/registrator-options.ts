// The registrator's flags as one table (flag-table.ts: commander for help and refusals, parseArgs for the daemon's
// start, bin/portolan's registrator.cjs, which never loads commander), and the one parser that checks them all
// before any effect (exit 64 naming the flag).
import type { Command } from "commander";
import { isIP } from "node:net";
import { hostname as osHostname } from "node:os";
import { parseArgs } from "node:util";
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
import { resolveLogLevel } from "../core/log-level.js";
import type { LogFormat } from "../core/log.js";
import { addFlagOptions, camel, joinDashValues, LOG_FORMAT_FLAG, LOG_LEVEL_FLAG, optionTypes, type FlagSpec } from "./flag-table.js";

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


/** Shortest `--ttl-refresh`: half the shortest check interval Consul is given. */
export const MIN_TTL_REFRESH_MS = MIN_CHECK_INTERVAL_MS / 2;

/** The registrator's flags (gliderlabs/registrator-compatible where they make sense), for both parsers. */
export const REGISTRATOR_FLAGS: readonly FlagSpec[] = [
  { flag: "ip", arg: "<address>", help: "address to register for published ports (default: the port binding's host IP)" },
  { flag: "internal", help: "register the container IP and exposed port instead of the published host port" },
  { flag: "explicit", help: "only register services that have SERVICE_NAME (or SERVICE_<port>_NAME)" },
  { flag: "tags", arg: "<list>", help: "comma-separated tags appended to every service" },
  { flag: "ttl", arg: "<duration>", help: "add a TTL check to every service (seconds or 30s/1m); portolan heartbeats it" },
  { flag: "ttl-refresh", arg: "<duration>", help: `refresh health and TTL checks at this interval, at least ${MIN_TTL_REFRESH_MS}ms (default: half of each TTL)` },
  { flag: "resync", arg: "<duration>", help: "full reconcile interval (seconds or 30s/5m; 0 = only after Docker reconnects)", default: String(DEFAULT_RESYNC_MS / 1000) },
  { flag: "cleanup", help: "remove entries owned by this host whose container is gone (also those of earlier runs)" },
  {
    flag: "deregister",
    arg: "<mode>",
    help: "when a container stops: always, or on-success (keep entries of containers that exit non-zero)",
    choices: ["always", "on-success"],
    default: "always",
  },
  { flag: "deregister-on-exit", help: "remove this host's entries on SIGTERM/SIGINT (default: leave them for the next start to reconcile)" },
  { flag: "retry-attempts", arg: "<n>", help: "attempts per backend operation before leaving it to the next resync: -1 (for ever) or 1 or more", default: "-1" },
  { flag: "retry-interval", arg: "<duration>", help: "first retry delay, doubled with jitter up to 30s (milliseconds or 1s)", default: String(DEFAULT_RETRY_INTERVAL_MS) },
  { flag: "hostname", arg: "<name>", help: "owner name and service ID prefix (default: this machine's hostname)" },
  {
    flag: "network",
    arg: "<name>",
    help: "with --internal: network whose container address is registered; it must exist in Docker, and a container not on it (nor on its SERVICE_NETWORK) is refused with one log line",
  },
  { flag: "concurrency", arg: "<n>", help: "containers synced at once", default: String(DEFAULT_CONCURRENCY) },
  { flag: "max-services", arg: "<n>", help: "services one container may register; the rest are refused with one log line", default: String(DEFAULT_MAX_SERVICES) },
  { flag: "shutdown-timeout", arg: "<duration>", help: "on SIGTERM/SIGINT, stop (and --deregister-on-exit) within this long (seconds or 10s)", default: `${DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000}` },
  LOG_FORMAT_FLAG,
  LOG_LEVEL_FLAG,
];

/** Adds the registrator's flags to `cmd` (`registrator`, `up`). */
export function addRegistratorFlags(cmd: Command): Command {
  return addFlagOptions(cmd, REGISTRATOR_FLAGS);
}

const OPTION_TYPES = optionTypes(REGISTRATOR_FLAGS);

/**
 * `registrator` argv after the command name, parsed without commander (node:util parseArgs) from REGISTRATOR_FLAGS:
 * the flags as commander hands them to the action (defaults applied) and the registry URI. Undefined for anything
 * commander must answer or word: --help, an unknown flag, a missing value, a value outside a flag's choices, not
 * exactly one argument.
 */
export function parseRegistratorArgv(args: string[]): { flags: RegistratorFlags; uri: string } | undefined {
  const options = joinDashValues(args, OPTION_TYPES);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: options, allowPositionals: true, strict: true, options: OPTION_TYPES }) as typeof parsed;
  } catch {
    return undefined;
  }
  if (parsed.positionals.length !== 1) return undefined;
  const flags: Record<string, string | boolean> = {};
  for (const f of REGISTRATOR_FLAGS) {
    const given = parsed.values[f.flag];
    if (given !== undefined && f.choices && !f.choices.includes(given as string)) return undefined;
    const value = given ?? f.default;
    if (value !== undefined) flags[camel(f.flag)] = value;
  }
  return { flags: flags as unknown as RegistratorFlags, uri: parsed.positionals[0]! };
}

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

