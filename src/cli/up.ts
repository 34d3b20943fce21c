// `portolan up`: the registrator with the embedded registry, for a laptop.
import { Command } from "commander";
import { addRegistratorFlags, runRegistrator, type RegistratorFlags } from "./registrator.js";
import { openRegistry, REGISTRY_URI_HELP } from "./registry-uri.js";

export function upCommand(): Command {
  return addRegistratorFlags(new Command("up"))
    .description("Run the registrator against the local Docker engine with the embedded registry (or --registry).")
    .option("--registry <uri>", REGISTRY_URI_HELP, "memory:")
    .action(async (f: RegistratorFlags & { registry: string }) => {
      await runRegistrator(f, (log) => openRegistry(f.registry, { logger: log }));
    });
}
