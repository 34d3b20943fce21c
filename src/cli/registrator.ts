// `portolan registrator [flags] REGISTRY_URI` as a commander command: its help, and the wording of what the
// parseArgs entry (registrator-start.ts) refuses. The wiring is in registrator-run.ts.
import { Command } from "commander";
import { addRegistratorFlags, registratorOptions, type RegistratorFlags } from "./registrator-options.js";
import { registratorAction, startRegistrator, type Companion } from "./registrator-run.js";
import { REGISTRY_URI_HELP } from "./registry-uri.js";

export { addRegistratorFlags, registratorOptions, startRegistrator, type Companion, type RegistratorFlags };

export function registratorCommand(): Command {
  return addRegistratorFlags(new Command("registrator"))
    .description("Watch the local Docker engine (DOCKER_HOST or /var/run/docker.sock) and keep every running container's services registered.")
    .argument("<registry-uri>", REGISTRY_URI_HELP)
    .action(registratorAction);
}
