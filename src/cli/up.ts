// `portolan up`: the registrator with the embedded registry, plus the catalog (API, page, metrics), for a laptop.
import { Command } from "commander";
import { addCatalogFlags, catalogCompanion, type CatalogFlags } from "./catalog.js";
import { addRegistratorFlags, runRegistrator, type RegistratorFlags } from "./registrator.js";
import { openRegistry, REGISTRY_URI_HELP } from "./registry-uri.js";

export function upCommand(): Command {
  return addCatalogFlags(addRegistratorFlags(new Command("up")))
    .description("Run the registrator against the local Docker engine with the embedded registry (or --registry).")
    .option("--registry <uri>", REGISTRY_URI_HELP, "memory:")
    .action(async (f: RegistratorFlags & CatalogFlags & { registry: string }) => {
      await runRegistrator(f, (log) => openRegistry(f.registry, { logger: log }), [catalogCompanion(f)]);
    });
}
