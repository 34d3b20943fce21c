// `portolan up`: the registrator with the embedded registry, plus the DNS shim and the catalog (API, page,
// metrics) in one process, for a laptop or as a host's one container.
import { Command } from "commander";
import type { Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { shareWatch } from "../core/shared-watch.js";
import { UsageError } from "../core/errors.js";
import { parseListen } from "../catalog/service.js";
import { DEFAULT_DNS_PORT, DEFAULT_LISTEN, type HostPort } from "../dns/options.js";
import { addCatalogFlags, catalogCompanion, type CatalogFlags } from "./catalog.js";
import type { DnsService } from "../dns/service.js";
import { dnsMetricsSource } from "./dns-metrics.js";
import { addRegistratorFlags, startRegistrator, type Companion, type RegistratorFlags } from "./registrator.js";
import { openRegistry, REGISTRY_URI_HELP } from "./registry-uri.js";

type UpFlags = RegistratorFlags & CatalogFlags & { registry: string; dns: string };

const WILDCARD = new Set(["0.0.0.0", "::", ""]);

/**
 * `--dns` and `--listen` on one TCP port (the same host, or either a wildcard) could never both bind: refused as a
 * usage error before anything starts, rather than after the DNS shim has.
 */
export function checkListenersApart(dns: HostPort, catalog: HostPort): void {
  if (dns.port === 0 || dns.port !== catalog.port) return;
  if (dns.host === catalog.host || WILDCARD.has(dns.host) || WILDCARD.has(catalog.host)) {
    throw new UsageError(`--dns ${dns.host}:${dns.port} and --listen ${catalog.host}:${catalog.port} overlap: both need TCP port ${dns.port}`);
  }
}

/** The DNS shim beside the registrator, fed by the same registry (`--dns off`: none); `started` receives it. */
async function dnsCompanion(f: UpFlags, started: (dns: DnsService) => void): Promise<(registry: Registry, log: Logger) => Promise<Companion>> {
  if (f.dns === "off") return async () => ({ stop: async () => {} });
  const { dnsFlagsToOptions, resolveListenFlag } = await import("./dns.js");
  const { startDns } = await import("../dns/service.js");
  // Checked now, before the registry is opened: a bad --dns is a usage error with no effect.
  const given = dnsFlagsToOptions({ listen: f.dns, domain: "consul", datacenter: "dc1", ttl: "0s", serviceTtl: [], recursor: [] }, "dns");
  checkListenersApart(given.listen, parseListen(f.listen));
  const opts = await resolveListenFlag(given, "dns");
  return async (registry, log) => {
    const dns = await startDns(registry, opts, log.child({ component: "dns" }), "--dns");
    started(dns);
    return { stop: () => dns.close() };
  };
}

export function upCommand(): Command {
  return addCatalogFlags(addRegistratorFlags(new Command("up")))
    .description("Run the registrator against the local Docker engine with the embedded registry (or --registry), the DNS shim and the catalog.")
    .option("--registry <uri>", REGISTRY_URI_HELP, "memory:")
    .option("--dns <host:port>", `DNS shim address (UDP+TCP; port ${DEFAULT_DNS_PORT} when omitted), or off`, DEFAULT_LISTEN)
    .action(async (f: UpFlags) => {
      // The catalog's /metrics carries the shim's figures (the shim starts first; with --dns off there are none).
      let dns: DnsService | undefined;
      const withDns = catalogCompanion(f, (c) => {
        if (dns) c.addMetricsSource(dnsMetricsSource(dns));
      });
      // The DNS shim and the catalog (and through its event stream every portolan:// reader) follow one watch.
      const open = async (log: Logger) => shareWatch(await openRegistry(f.registry, { logger: log }), log);
      await startRegistrator(f, open, [await dnsCompanion(f, (d) => (dns = d)), withDns]);
    });
}
