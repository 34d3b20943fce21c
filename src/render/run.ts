// How render and exec run, up to the program: env layers -> validated config -> (wait) -> the registry's used
// services -> templates rendered in memory -> files written. Nothing is written unless every step before succeeded.
// The CLI (src/cli/render-run.ts, exec-run.ts) parses flags and wires in the registry adapters (RegistryAccess).
import { BackendAuthError, RegistryUriError } from "../core/errors.js";
import { addSecrets } from "../core/output.js";
import type { Registry } from "../core/registry.js";
import { loadConfig, type EnvFileRef } from "./config.js";
import { MAX_CONFIG_FILE_BYTES, readTextLimited } from "./limits.js";
import type { LazyLogger } from "./log.js";
import { RegistryReadError, RenderUsageError } from "./run-errors.js";
import { ServiceDirectory } from "./services.js";
import { loadSpec } from "./spec.js";
import { buildView, loadTemplates, renderAll, type LoadedTemplate, type RenderedSet, type TemplateDirSpec, type TemplateSpec } from "./templates.js";
import type { ResolvedConfig } from "./types.js";
import { waitForTargets, type WaitTarget } from "./wait.js";
import type { OpenWatch } from "./watch.js";
import { writeOutputs, type WriteResult } from "./writer.js";

/** render's and exec's options, validated (src/cli/render-options.ts parses them). */
export interface RenderOptions {
  name?: string;
  envDir?: string;
  environmentFiles: EnvFileRef[];
  envFormat: "systemd" | "dotenv";
  filesOverrideEnv: boolean;
  spec?: string;
  templates: TemplateSpec[];
  templateDirs: TemplateDirSpec[];
  registry?: string;
  waits: WaitTarget[];
  waitTimeoutMs: number;
  /** Validated: `--log-level`, else $PORTOLAN_LOG_LEVEL, else info. */
  logLevel: string;
  dryRun: boolean;
  watch: boolean;
  watchMinQuietMs: number;
  watchMaxQuietMs: number;
  reloadSignal: NodeJS.Signals;
  reloadCmd?: string;
  killSignal: NodeJS.Signals;
  killTimeoutMs: number;
  execReplace: boolean;
}

/** How prepare() opens and checks `--registry`: the CLI wires in the adapters (src/render never imports them). */
export interface RegistryAccess {
  open(uri: string, timeoutMs: number): Promise<Registry>;
  /** Resolves when `registry` lets us read within `ms`; BackendAuthError when it refuses our credentials. */
  checkRead(registry: Registry, uri: string, ms: number): Promise<void>;
}

export interface Prepared {
  config: ResolvedConfig;
  templates: LoadedTemplate[];
  rendered: RenderedSet;
  results: WriteResult[];
  registry?: Registry;
  services?: ServiceDirectory;
  /** With --watch: the watch that gave `services`, left open for the exec watch to go on with (no second read). */
  watch?: OpenWatch;
}

/** Reads the registry's current catalog of `names` (the first snapshot of watch()), bounded by `timeoutMs` from `startedAt`. */
async function firstSnapshot(registry: Registry, uri: string, timeoutMs: number, startedAt: number, names: string[], keep: boolean): Promise<{ dir: ServiceDirectory; open?: OpenWatch }> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), Math.max(0, startedAt + timeoutMs - Date.now()));
  const iterator = registry.watch(stop.signal, { services: names, passingOnly: true, checkAccess: true })[Symbol.asyncIterator]();
  let kept = false;
  try {
    const first = await iterator.next();
    if (first.done) throw new RegistryReadError({ uri, message: `no catalog within ${timeoutMs}ms` });
    kept = keep;
    return { dir: new ServiceDirectory(first.value), ...(keep && { open: { names, iterator, stop } }) };
  } catch (err) {
    if (err instanceof RegistryReadError) throw err;
    if (err instanceof BackendAuthError) throw refusedBy(uri, err);
    throw new RegistryReadError({ uri, message: (err as Error).message, cause: err });
  } finally {
    clearTimeout(timer);
    if (!kept) await closeWatch({ names, iterator, stop });
  }
}

export async function closeWatch(w: OpenWatch): Promise<void> {
  w.stop.abort();
  await w.iterator.return?.(undefined);
}

/**
 * Reads only the services the templates use, and renders them. A render against no services names the first ones; a
 * render with them may use more (a section nested in a service's section), read in turn until no new name appears.
 */
async function readUsed(registry: Registry, uri: string, timeoutMs: number, startedAt: number, templates: LoadedTemplate[], config: ResolvedConfig, keep: boolean) {
  let names = renderAll(templates, buildView(config, new ServiceDirectory({ version: 0, instances: [] }))).services;
  for (;;) {
    const { dir: services, open } = await firstSnapshot(registry, uri, timeoutMs, startedAt, names, keep);
    const rendered = renderAll(templates, buildView(config, services));
    const more = rendered.services.filter((n) => !names.includes(n));
    if (more.length === 0) return { services, rendered, ...(open && { watch: open }) };
    if (open) await closeWatch(open);
    names = [...names, ...more];
  }
}

/** Credentials refused, said of `--registry` (a configuration error: 78). */
function refusedBy(uri: string, err: BackendAuthError): BackendAuthError {
  return new BackendAuthError({ backend: `registry ${uri}`, message: err.message, cause: err });
}

/**
 * Credentials the registry refuses are a configuration error (78); one it cannot check now, or within `ms`, is left to
 * the read (which has what is left of the same time).
 */
async function checkReadAccess(access: RegistryAccess, registry: Registry, uri: string, log: LazyLogger, ms: number): Promise<void> {
  try {
    await access.checkRead(registry, uri, ms);
  } catch (err) {
    if (err instanceof BackendAuthError) throw refusedBy(uri, err);
    await log.log("debug", { err: (err as Error).message }, "registry credentials not checked");
  }
}

/** Logs each changed file (names and modes only, never content). */
export async function logResults(log: LazyLogger, results: WriteResult[]): Promise<void> {
  for (const r of results) {
    if (r.status === "rendered") await log.log("info", { dest: r.dest, method: r.method, mode: `0${r.mode.toString(8)}` }, "rendered");
    else await log.log("debug", { dest: r.dest, status: r.status }, r.status);
  }
}

/**
 * Small config files are read synchronously at start: cheaper than async round trips (errors keep their `code`).
 * Each is bounded (limits.ts): a file over the limit is refused unread.
 */
const readText = async (path: string): Promise<string> => readTextLimited(path, MAX_CONFIG_FILE_BYTES);

/** Everything up to (and including) writing the files. Nothing is written unless every step before succeeded. */
export async function prepare(opts: RenderOptions, log: LazyLogger, access: RegistryAccess, signal?: AbortSignal): Promise<Prepared> {
  const spec = opts.spec ? await loadSpec(opts.spec, readText) : undefined;
  const config = await loadConfig({
    readFile: readText,
    envFiles: opts.environmentFiles,
    ...(opts.envDir !== undefined && { envDir: opts.envDir }),
    ...(opts.name !== undefined && { name: opts.name }),
    format: opts.envFormat,
    filesOverrideEnv: opts.filesOverrideEnv,
    processEnv: process.env,
    ...(spec && { spec }),
    onSecrets: addSecrets,
  });
  for (const w of config.warnings ?? []) await log.log("warn", { variable: w.variable, code: w.code }, w.message);
  const templates = await loadTemplates(opts.templates, opts.templateDirs);
  if (opts.waits.length > 0) {
    await waitForTargets(opts.waits, {
      timeoutMs: opts.waitTimeoutMs,
      ...(signal && { signal }),
      onRetry: (t, attempt, err) => void log.log("debug", { target: t.uri, attempt, err }, "waiting"),
    });
  }
  let registry: Registry | undefined;
  let services: ServiceDirectory | undefined;
  let rendered: RenderedSet | undefined;
  let watch: OpenWatch | undefined;
  if (opts.registry) {
    try {
      registry = await access.open(opts.registry, opts.waitTimeoutMs);
    } catch (err) {
      if (err instanceof RegistryUriError) throw new RenderUsageError(`--registry: ${err.message}`);
      throw new RegistryReadError({ uri: opts.registry, message: (err as Error).message, cause: err });
    }
    try {
      const startedAt = Date.now();
      // A backend whose watch checks the credentials in its first reads costs no request of its own for it.
      if (!registry.watchChecksAccess) await checkReadAccess(access, registry, opts.registry, log, opts.waitTimeoutMs);
      ({ services, rendered, watch } = await readUsed(registry, opts.registry, opts.waitTimeoutMs, startedAt, templates, config, opts.watch));
    } catch (err) {
      await registry.close();
      throw err;
    }
  }
  try {
    rendered ??= renderAll(templates, buildView(config, services));
    const results = await writeOutputs(rendered.outputs, { dryRun: opts.dryRun });
    await logResults(log, results);
    return { config, templates, rendered, results, ...(registry && { registry }), ...(services && { services }), ...(watch && { watch }) };
  } catch (err) {
    await registry?.close();
    throw err;
  }
}

/** `--dry-run`: what would be written (secret values are masked by writeStdout, like every output). */
export function formatDryRun(p: Prepared): string {
  let out = "";
  p.rendered.outputs.forEach((o, i) => {
    const r = p.results[i]!;
    out += `--- ${o.dest} (${r.status}, mode 0${r.mode.toString(8)})\n`;
    out += o.content;
    if (!o.content.endsWith("\n")) out += "\n";
  });
  return out;
}
