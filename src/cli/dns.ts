// `portolan dns --registry URI [flags]`: the DNS shim, fed by any backend. Also started by `portolan up`.
import { Command } from "commander";
import { ListenError, UsageError } from "../core/errors.js";
import { createLogger, resolveLogLevel, type LogFormat } from "../core/log.js";
import { isDnsWorker, runDnsWorker } from "../dns/cluster.js";
import { hostPortFlag, joinHostPort } from "../core/host-port.js";
import { DEFAULT_LISTEN, dnsOptions, DEFAULT_DNS_PORT, type DnsOptions, type TtlRule } from "../dns/options.js";
import { resolveListen } from "../dns/server.js";
import { startDns, startDnsWorkers } from "../dns/service.js";
import { durationFlag, intFlag } from "../core/util.js";
import { logFormatOption, logLevelOption } from "./log-options.js";
import { stopSignal } from "./signals.js";
import { serveUntilStopped } from "../core/stopping.js";
import { checkAccessAtStart, openRegistry, REGISTRY_URI_HELP } from "./registry-uri.js";

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
      const workers = intFlag("workers", f.workers, 1, 64);
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
        check: (registry) => checkAccessAtStart(registry, "read", log),
        serve: (registry) => (workers > 1 ? startDnsWorkers(registry, opts, workers, log, stopping.signal) : startDns(registry, opts, log)),
        stopped,
        log,
      });
      if (!served) return;
      log.info("stopped");
    });
}
