// `portolan dns --registry URI [flags]`: the DNS shim, fed by any backend. Also started by `portolan up`.
import { Command } from "commander";
import { ListenError, UsageError } from "../core/errors.js";
import { createLogger, resolveLogLevel, type LogFormat, type Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { DnsWorkers, isDnsWorker, runDnsWorker } from "../dns/cluster.js";
import { feedSnapshots } from "../dns/feed.js";
import { hostPortFlag, joinHostPort } from "../core/host-port.js";
import { DEFAULT_LISTEN, dnsOptions, DEFAULT_DNS_PORT, type DnsOptions, type TtlRule } from "../dns/options.js";
import { DnsServer, resolveListen } from "../dns/server.js";
import type { DnsStatsSnapshot } from "../dns/stats.js";
import { durationFlag } from "../core/util.js";
import { logFormatOption, logLevelOption } from "./registrator-options.js";
import { stopSignal } from "./signals.js";
import { serveUntilStopped } from "./stopping.js";
import { openRegistry, REGISTRY_URI_HELP } from "./registry-uri.js";

interface DnsFlags {
  registry: string;
  listen: string;
  domain: string;
  datacenter: string;
  ttl: string;
  serviceTtl: string[];
  recursor: string[];
  includeWarning?: boolean;
  workers: string;
  logFormat: LogFormat;
  logLevel?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function ttlSeconds(flag: string, text: string): number {
  return Math.floor(durationFlag(flag, text, { bareUnitMs: 1000, minMs: 0 }) / 1000);
}

/** `NAME=DURATION` or `PREFIX*=DURATION` ("*" alone: every service), as Consul's service_ttl. */
export function parseServiceTtl(text: string): TtlRule {
  const m = /^([a-z0-9-]*)(\*?)=(.+)$/i.exec(text);
  if (!m || (m[1] === "" && m[2] === "")) throw new UsageError(`--service-ttl: expected NAME=DURATION or PREFIX*=DURATION, got ${JSON.stringify(text)}`);
  return { match: m[1]!.toLowerCase(), prefix: m[2] === "*", ttlS: ttlSeconds("service-ttl", m[3]!) };
}

/** `opts` with a listen name resolved (ENOTFOUND: a ListenError naming `--listenFlag`): the last check, no effect. */
export async function resolveListenFlag(opts: DnsOptions, listenFlag: string): Promise<DnsOptions> {
  return resolveListen(opts).catch((err: unknown) => {
    throw new ListenError({ flag: `--${listenFlag}`, address: joinHostPort(opts.listen.host, opts.listen.port), cause: err });
  });
}

/** `listenFlag`: the flag that carried the address (`listen` for `portolan dns`, `dns` for `portolan up`). */
export function dnsFlagsToOptions(f: Omit<DnsFlags, "registry" | "logFormat" | "logLevel" | "workers">, listenFlag = "listen"): DnsOptions {
  return dnsOptions({
    listen: hostPortFlag(listenFlag, f.listen, { defaultPort: DEFAULT_DNS_PORT }),
    domain: f.domain,
    datacenter: f.datacenter,
    ttlS: ttlSeconds("ttl", f.ttl),
    serviceTtl: f.serviceTtl.map(parseServiceTtl),
    includeWarning: f.includeWarning ?? false,
    recursors: f.recursor.map((r) => {
      const hp = hostPortFlag("recursor", r, { defaultPort: 53 });
      if (hp.port === 0) throw new UsageError(`--recursor: port 0 cannot be sent to, got ${JSON.stringify(r)}`);
      return hp;
    }),
  });
}

/** What `portolan dns` runs: one server in this process, or N workers; stats summed over workers. */
export interface DnsService {
  stats(): Promise<DnsStatsSnapshot>;
  close(): Promise<void>;
}

export interface RunningDns extends DnsService {
  server: DnsServer;
  address: string;
}

/** Starts the shim on `opts.listen`, fed by `registry`'s snapshots; logs one line saying where it listens. */
export async function startDns(registry: Registry, opts: DnsOptions, log: Logger, flag = "--listen"): Promise<RunningDns> {
  const server = new DnsServer(opts, { logger: log });
  // The feed first: until the first snapshot arrives every query gets SERVFAIL.
  const abort = new AbortController();
  const fed = feedSnapshots(registry, (s) => server.update(s), abort.signal, log);
  let bound;
  try {
    bound = await server.listen();
  } catch (err) {
    abort.abort();
    await fed;
    throw new ListenError({ flag, address: joinHostPort(opts.listen.host, opts.listen.port), cause: err });
  }
  const address = joinHostPort(bound.host, bound.port);
  log.info({ listen: address, domain: opts.domain, datacenter: opts.datacenter, backend: registry.kind, recursors: opts.recursors.length }, `dns listening on ${address} (udp+tcp)`);
  return {
    server,
    address,
    stats: async () => server.stats(),
    async close() {
      abort.abort();
      await server.close();
      await fed;
    },
  };
}

/** The primary of `--workers N`: watches the registry and feeds N worker processes that serve the port. */
async function startDnsWorkers(registry: Registry, opts: DnsOptions, count: number, log: Logger, stopping: AbortSignal): Promise<DnsService> {
  const workers = new DnsWorkers(log);
  const abort = new AbortController();
  const fed = feedSnapshots(registry, (s) => workers.update(s), abort.signal, log);
  const { host, port } = opts.listen;
  const address = joinHostPort(host, port);
  try {
    await workers.start(count, stopping);
  } catch (err) {
    // A worker could not bind, or a stop came (the workers are stopped by now): the same one line as one process.
    abort.abort();
    await fed;
    throw stopping.aborted ? err : new ListenError({ flag: "--listen", address, cause: err });
  }
  log.info({ listen: address, workers: count, domain: opts.domain, datacenter: opts.datacenter, backend: registry.kind }, `dns listening on ${address} (udp+tcp, ${count} workers)`);
  return {
    stats: () => workers.stats(),
    async close() {
      abort.abort();
      await workers.close();
      await fed;
    },
  };
}

export function dnsCommand(): Command {
  return new Command("dns")
    .description("Answer DNS (Consul's query forms: NAME.service.consul, _NAME._tcp.service.consul, …) from any registry backend.")
    .requiredOption("--registry <uri>", REGISTRY_URI_HELP)
    .option("--listen <host:port>", `UDP and TCP address (port ${DEFAULT_DNS_PORT} when omitted)`, DEFAULT_LISTEN)
    .option("--domain <name>", "domain answered", "consul")
    .option("--datacenter <name>", "datacenter label in names and SRV targets", "dc1")
    .option("--ttl <duration>", "TTL of every record (0s, 30s, 1m)", "0s")
    .option("--service-ttl <name=duration>", "TTL for one service or a prefix (web*=10s); repeatable", collect, [])
    .option("--recursor <host:port>", "forward names outside the domain here (else REFUSED); repeatable, tried in order", collect, [])
    .option("--include-warning", "answer instances whose health is warning too (default: passing only)")
    .option("--workers <n>", "processes sharing the sockets (node:cluster); 2 uses both cores of a 2-core host", "1")
    .addOption(logFormatOption())
    .addOption(logLevelOption())
    .action(async (f: DnsFlags) => {
      const level = resolveLogLevel(f.logLevel);
      const given = dnsFlagsToOptions(f);
      const workers = Number(f.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers: expected an integer 1..64, got ${JSON.stringify(f.workers)}`);
      if (workers > 1 && given.listen.port === 0) throw new UsageError("--workers > 1 needs a fixed --listen port, not 0");
      const opts = await resolveListenFlag(given, "listen");
      const stopped = stopSignal();
      const base = createLogger({ format: f.logFormat, level });
      const log = base.child({ component: "dns" });
      if (isDnsWorker()) return runDnsWorker(opts, log, stopped);
      const stopping = new AbortController();
      void stopped.then((signal) => stopping.abort(signal));
      const served = await serveUntilStopped({
        open: () => openRegistry(f.registry, { logger: base }),
        serve: (registry) => (workers > 1 ? startDnsWorkers(registry, opts, workers, log, stopping.signal) : startDns(registry, opts, log)),
        stopped,
        log,
      });
      if (!served) return;
      log.info("stopped");
    });
}
