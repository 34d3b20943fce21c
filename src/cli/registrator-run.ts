// `portolan registrator` (and `up`) wired without commander: flags checked, the backend opened and checked for
// writes, then the registrator runs. registrator.ts is the same command for commander (help, refusals), and
// registrator-start.ts the daemon's entry, which parses with parseArgs and never loads commander.
import { createLogger, resolveLogLevel, type Logger } from "../core/log.js";
import type { Registry } from "../core/registry.js";
import { runRegistrator, type Companion } from "../registrator/run.js";
import { registratorOptions, type RegistratorFlags } from "./registrator-options.js";
import { checkAccessAtStart, openRegistry } from "./registry-uri.js";
import { stopSignal } from "./signals.js";

export type { Companion };

/**
 * Flags parsed, the backend opened by `open` and checked for writes, then the registrator runs until
 * SIGTERM/SIGINT (a second one ends the process at once). Every other signal gets signals.ts's default (HUP/QUIT
 * end it, USR1/USR2/ALRM are ignored).
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

/** `portolan registrator [flags] REGISTRY_URI` once its argv is parsed: the registrator against that URI's backend. */
export function registratorAction(uri: string, f: RegistratorFlags): Promise<void> {
  return startRegistrator(f, (log) => openRegistry(uri, { logger: log }));
}
