// `portolan render` (no commander here: this is the container-start path, see render-fast.ts): flags parsed, the
// registry adapters wired in, then src/render/run.ts does the work.
import { writeStdout } from "../core/output.js";
import { LazyLogger } from "../render/log.js";
import { formatDryRun, prepare, type RegistryAccess } from "../render/run.js";
import { reportFailure } from "./exit.js";
import { parseRenderOptions, type RawRenderOptions } from "./render-options.js";

/** `--registry` through the adapters, loaded only when a registry is given. */
export function registryAccess(log: LazyLogger): RegistryAccess {
  return {
    open: async (uri, timeoutMs) => (await import("./registry-uri.js")).openRegistry(uri, { logger: await log.base(), timeoutMs }),
    checkRead: async (registry, uri, ms) => (await import("./registry-uri.js")).checkAccessWithin(registry, "read", ms, uri),
  };
}

export async function runRender(raw: RawRenderOptions): Promise<number> {
  try {
    const opts = parseRenderOptions(raw, "render");
    const log = new LazyLogger(opts.logLevel);
    const p = await prepare(opts, log, registryAccess(log));
    await p.registry?.close();
    if (opts.dryRun) writeStdout(formatDryRun(p));
    return 0;
  } catch (err) {
    return reportFailure("render", err);
  }
}

