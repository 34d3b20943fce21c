// `portolan up`: the registrator with the embedded registry, for a laptop; the DNS shim runs alongside.
import { Command } from "commander";
import { addRegistratorFlags, runRegistrator, type RegistratorFlags } from "./registrator.js";
import { openRegistry, REGISTRY_URI_HELP } from "./registry-uri.js";
import { DEFAULT_LISTEN } from "../dns/options.js";

export function upCommand(): Command {
  return addRegistratorFlags(new Command("up"))
    .description("Run the registrator against the local Docker engine with the embedded registry (or --registry).")
    .option("--registry <uri>", REGISTRY_URI_HELP, "memory:")
    .option("--dns <host:port>", "DNS shim address (UDP+TCP), or off", DEFAULT_LISTEN)
    .action(async (f: RegistratorFlags & { registry: string; dns: string }) => {
      let dns: { close(): Promise<void> } | undefined;
      await runRegistrator(f, async (log) => {
        const registry = await openRegistry(f.registry, { logger: log });
        if (f.dns !== "off") {
          const { startDns, dnsFlagsToOptions } = await import("./dns.js");
          const opts = dnsFlagsToOptions({ listen: f.dns, domain: "consul", datacenter: "dc1", ttl: "0s", serviceTtl: [], recursor: [] });
          dns = await startDns(registry, opts, log.child({ component: "dns" }));
        }
        return registry;
      });
      await dns?.close();
    });
}
