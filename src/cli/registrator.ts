// `portolan registrator [flags] REGISTRY_URI`: keeps every running container's services registered.
import { Command } from "commander";
import { createLogger, resolveLogLevel, type Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { runRegistrator, type Companion } from "../registrator/run.js";
import { addRegistratorFlags, registratorOptions, type RegistratorFlags } from "./registrator-options.js";
import { checkAccessAtStart, openRegistry, REGISTRY_URI_HELP } from "./registry-uri.js";
import { stopSignal } from "./signals.js";

export { addRegistratorFlags, registratorOptions, type Companion, type RegistratorFlags };

/**
 * `portolan registrator` (and `up`): flags parsed, the backend opened by `open` and checked for writes, then the
 * registrator runs until SIGTERM/SIGINT (a second one ends the process at once). Every other signal gets
 * signals.ts's default (HUP/QUIT end it, USR1/USR2/ALRM are ignored).
 */
export async function startRegistrator(
  f: RegistratorFlags,
  open: (log: Logger) => Promise<Registry>,
  companions: ((registry: Registry, log: Logger, owner: string) => Promise<Companion>)[] = [],
): Promise<void> {
  const stopped = stopSignal();
  const { shutdownTimeoutMs, ...options } = registratorOptions(f);
  const log = createLogger({ format: f.logFormat, level: resolveLogLevel(f.logLevel) });
  const openChecked = async () => {
    const registry = await open(log);
    // A stop while the check waits abandons it: the registry is closed at once, nothing logged after the stop.
    await checkAccessAtStart(registry, "write", log.child({ component: "registrator" }), undefined, stopped);
    return registry;
  };
  await runRegistrator({ options, shutdownTimeoutMs, deregisterOnExit: f.deregisterOnExit ?? false, open: openChecked, companions, stopped, log });
}

export function registratorCommand(): Command {
  return addRegistratorFlags(new Command("registrator"))
    .description("Watch the local Docker engine (DOCKER_HOST or /var/run/docker.sock) and keep every running container's services registered.")
    .argument("<registry-uri>", REGISTRY_URI_HELP)
    .action(async (uri: string, f: RegistratorFlags) => {
      await startRegistrator(f, (log) => openRegistry(uri, { logger: log }));
    });
}
