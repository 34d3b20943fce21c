// How the DNS shim runs: one server in this process, or the primary of N worker processes, fed by a registry's
// snapshots. `portolan dns` and `portolan up` parse flags and open the registry (src/cli), then start one here.
import { ListenError } from "../core/errors.js";
import { joinHostPort } from "../core/host-port.js";
import type { Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { DnsWorkers } from "./cluster.js";
import { feedSnapshots } from "./feed.js";
import type { DnsOptions } from "./options.js";
import { DnsServer } from "./server.js";
import type { DnsStatsSnapshot } from "./stats.js";

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
export async function startDnsWorkers(registry: Registry, opts: DnsOptions, count: number, log: Logger, stopping: AbortSignal): Promise<DnsService> {
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
