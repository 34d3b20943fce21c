// `portolan catalog [service NAME] [--registry URI] [--json] [--watch] [filters]` and `portolan catalog serve`.
import { Command, Option } from "commander";
import { UsageError } from "../core/errors.js";
import { EXIT_USAGE } from "../core/exit-codes.js";
import { createLogger, resolveLogLevel, type LogFormat, type Logger } from "../core/log.js";
import { HEALTH } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { InstrumentedRegistry } from "../catalog/instrument.js";
import { CatalogMetrics } from "../catalog/metrics.js";
import type { RunningCatalog } from "../catalog/service.js";
import { InvalidParameterError } from "../catalog/errors.js";
import { parseFilter } from "../catalog/filter.js";
import { checkListenAuth, DEFAULT_LISTEN, parseListen, startCatalog, type Listen } from "../catalog/service.js";
import { type Companion } from "./registrator.js";
import type { RegistratorEvent } from "../registrator/events.js";
import { durationFlag, intFlag } from "../core/util.js";
import { logFormatOption, logLevelOption } from "./log-options.js";
import { DEFAULT_MAX_CONNECTIONS } from "../catalog/connections.js";
import { stopSignal } from "./signals.js";
import { serveUntilStopped } from "../core/stopping.js";
import { checkAccessAtStart, checkAccessWithin, openRegistry, parseRegistryUri, REGISTRY_URI_HELP } from "./registry-uri.js";
import type { PortolanRegistry } from "../../adapters/portolan/index.js";

/** What `catalog` reads when --registry is not given: a `portolan up` on this machine. */
export const DEFAULT_CATALOG_REGISTRY = "portolan://127.0.0.1:8700";

interface ViewFlags {
  registry: string;
  json?: boolean;
  watch?: boolean;
  tag?: string;
  host?: string;
  health?: string;
  timeout: string;
}

function addViewFlags(cmd: Command): Command {
  return cmd
    .option("--registry <uri>", REGISTRY_URI_HELP, DEFAULT_CATALOG_REGISTRY)
    .option("--json", "print JSON (the HTTP API's shape) instead of a table")
    .option("--watch", "keep printing the view as it changes (JSON: one document per line)")
    .option("--tag <tag>", "only instances with this tag")
    .option("--host <host>", "only instances registered by this host (the registrator's --hostname)")
    .addOption(new Option("--health <health>", "only instances with this health").choices([...HEALTH]))
    .option("--timeout <duration>", "give up when the registry gives no catalog within this long", "10s");
}

async function view(service: string | undefined, f: ViewFlags): Promise<void> {
  const filter = (() => {
    try {
      return parseFilter(Object.entries({ tag: f.tag, host: f.host, health: f.health }).filter((e): e is [string, string] => e[1] !== undefined));
    } catch (err) {
      if (err instanceof InvalidParameterError) throw new UsageError(`--${err.message}`);
      throw err;
    }
  })();
  const timeoutMs = durationFlag("timeout", f.timeout, { bareUnitMs: 1000 });
  const { show } = await import("../catalog/show.js");
  await readRegistry(f.registry, timeoutMs, (registry, signal, startedAt) =>
    show({ registry, service, filter, json: f.json ?? false, watch: f.watch ?? false, timeoutMs, startedAt, write: (t) => process.stdout.write(t), clear: process.stdout.isTTY === true, signal }),
  );
}

/**
 * A one-shot reader of `uri` (`catalog`, `catalog events`): opened with quiet logs (unless $PORTOLAN_LOG_LEVEL asks
 * for more), its read access checked within `timeoutMs`, `read` run until it ends or SIGINT/SIGTERM aborts it,
 * closed. `startedAt`: when the opening began, so `read` can bound the whole wait by `timeoutMs`.
 */
async function readRegistry<R extends Registry = Registry>(uri: string, timeoutMs: number, read: (registry: R, signal: AbortSignal, startedAt: number) => Promise<void>): Promise<void> {
  const log = createLogger({ format: "json", level: process.env.PORTOLAN_LOG_LEVEL ? resolveLogLevel(undefined) : "error" });
  const registry = (await openRegistry(uri, { logger: log, timeoutMs })) as R;
  const ctl = new AbortController();
  const onSignal = () => ctl.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const startedAt = Date.now();
  try {
    await checkAccessWithin(registry, "read", timeoutMs, uri);
    await read(registry, ctl.signal, startedAt);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await registry.close();
  }
}

interface ServeFlags {
  registry: string;
  listen: string;
  token?: string;
  maxConnections: string;
  logFormat: LogFormat;
  logLevel?: string;
}

/**
 * --token, else $PORTOLAN_CATALOG_TOKEN (unset or empty: none). A given token must be something a client can send
 * as `Authorization: Bearer …`: visible ASCII, no spaces. The value is never shown.
 */
export function catalogToken(flag: string | undefined, env = process.env.PORTOLAN_CATALOG_TOKEN): string | undefined {
  const [token, from] = flag !== undefined ? [flag, "--token"] : [env || undefined, "PORTOLAN_CATALOG_TOKEN"];
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    throw new UsageError(`${from}: ${token === "" ? "empty" : `${token.length} characters, not all visible ASCII (spaces and control characters cannot be sent in a bearer header)`}`);
  }
  return token;
}

/** Largest --max-connections: beyond it the bound no longer keeps descriptors for the rest of the process. */
const MAX_MAX_CONNECTIONS = 1_000_000;
const MAX_CONNECTIONS_HELP = `open connections at most; at the bound the oldest idle one is closed for a new one, or the new one when all are busy`;

/** --max-connections, checked before any effect. */
export function maxConnectionsFlag(text: string): number {
  return intFlag("max-connections", text, 1, MAX_MAX_CONNECTIONS);
}

/** The catalog server's flags, all checked before any effect (a bad one is a UsageError naming it). */
function serverFlags(f: CatalogFlags): { listen: Listen; token: string | undefined; maxConnections: number } {
  const listen = parseListen(f.listen);
  const token = catalogToken(f.token);
  checkListenAuth(listen, token);
  return { listen, token, maxConnections: maxConnectionsFlag(f.maxConnections) };
}

async function serve(f: ServeFlags): Promise<void> {
  const { listen, token, maxConnections } = serverFlags(f);
  const log = createLogger({ format: f.logFormat, level: resolveLogLevel(f.logLevel) });
  await serveUntilStopped({
    open: () => openRegistry(f.registry, { logger: log }),
    check: (registry) => checkAccessAtStart(registry, "read", log),
    serve: async (registry) => {
      const catalog = await startCatalog({ registry, listen, token, logger: log, maxConnections });
      return { close: () => catalog.stop() };
    },
    stopped: stopSignal(),
    log,
  });
}

interface EventsFlags {
  registry: string;
  json?: boolean;
  follow?: boolean;
  timeout: string;
}

/** `catalog events`: the change log lives in a catalog server (`up`, `catalog serve`), read over portolan://. */
async function events(f: EventsFlags): Promise<void> {
  const timeoutMs = durationFlag("timeout", f.timeout, { bareUnitMs: 1000 });
  const target = parseRegistryUri(f.registry);
  if (target.scheme !== "portolan") {
    throw new UsageError(`--registry: catalog events reads the change log of a catalog server (portolan up, portolan catalog serve): give its portolan://HOST:PORT, not a ${target.scheme} URI`);
  }
  const { printEvents } = await import("../catalog/events.js");
  await readRegistry<PortolanRegistry>(f.registry, timeoutMs, (registry, signal) =>
    printEvents({ source: (on, follow, abort) => registry.changes(on, follow, abort), follow: f.follow ?? false, json: f.json ?? false, write: (t) => process.stdout.write(t), signal }),
  );
}

/** `catalog refusals`: a catalog server's /v1/refusals, or the backend's shared refusals read directly. */
async function refusals(f: EventsFlags): Promise<void> {
  const timeoutMs = durationFlag("timeout", f.timeout, { bareUnitMs: 1000 });
  const portolan = parseRegistryUri(f.registry).scheme === "portolan";
  const { backendRefusals, printRefusals, servedRefusals } = await import("../catalog/refusals.js");
  await readRegistry(f.registry, timeoutMs, async (registry, signal) => {
    const doc = portolan ? servedRefusals(await (registry as PortolanRegistry).refusalsDocument(signal)) : await backendRefusals(registry, signal, timeoutMs);
    printRefusals(doc, { json: f.json ?? false, write: (t) => process.stdout.write(t), warn: (t) => process.stderr.write(t) });
  });
}

/** What the catalog's commands run once their flags are read (tests substitute their own). */
export interface CatalogActions {
  view(service: string | undefined, f: ViewFlags): Promise<void>;
  serve(f: ServeFlags): Promise<void>;
  events?(f: EventsFlags): Promise<void>;
  refusals?(f: EventsFlags): Promise<void>;
}

/** `catalog serve`'s flags; `hidden` for the copies `catalog` itself takes before the word `serve`. */
function serveOptions(hidden = false): Option[] {
  return [
    new Option("--registry <uri>", `${REGISTRY_URI_HELP} (required: what to serve)`),
    new Option("--listen <host:port>", "address to listen on; any non-loopback address requires --token").default(DEFAULT_LISTEN),
    new Option("--token <token>", "bearer token required by the API and the page (default: $PORTOLAN_CATALOG_TOKEN); never logged"),
    new Option("--max-connections <n>", MAX_CONNECTIONS_HELP).default(String(DEFAULT_MAX_CONNECTIONS)),
    logFormatOption(),
    logLevelOption(),
  ].map((o) => o.hideHelp(hidden));
}

const optionKey = (o: Option) => o.attributeName();

/**
 * `sub`'s flags, with those given before its name (`catalog --json service web`) filled in from `catalog`'s:
 * a flag works on either side of the subcommand's name, and after the name wins. A flag before the name that
 * `sub` does not take is a usage error naming it.
 */
function flagsOf<T>(sub: Command): T {
  const parent = sub.parent!;
  const out: Record<string, unknown> = { ...sub.opts() };
  for (const o of parent.options) {
    const key = optionKey(o);
    if (parent.getOptionValueSource(key) !== "cli") continue;
    if (!sub.options.some((s) => optionKey(s) === key)) throw new UsageError(`${o.long} does not apply to \`catalog ${sub.name()}\``);
    if (sub.getOptionValueSource(key) !== "cli") out[key] = parent.getOptionValue(key);
  }
  return out as T;
}

/** commander's own "unknown command 'x' (Did you mean …?)", which it says only for a command without an action. */
type CommandWithUnknown = Command & { unknownCommand(): never };

export function catalogCommand(actions: CatalogActions = { view, serve }): Command {
  const cmd = addViewFlags(new Command("catalog"))
    .description("Show what is registered: services (passing/total, tags), or one service's instances; or serve the catalog over HTTP. Flags work before or after `service`/`serve`.")
    .enablePositionalOptions() // flags after `service`/`serve` are theirs; flags before are merged in (flagsOf)
    .helpCommand(true)
    .allowExcessArguments()
    .action(async (_f: ViewFlags, self: Command) => {
      if (self.args.length > 0) (self as CommandWithUnknown).unknownCommand();
      const serveOnly = self.options.find((o) => o.hidden && self.getOptionValueSource(optionKey(o)) === "cli");
      if (serveOnly) throw new UsageError(`${serveOnly.long} belongs to \`catalog serve\``);
      await actions.view(undefined, self.opts<ViewFlags>());
    });
  for (const o of serveOptions(true)) if (!cmd.options.some((p) => p.long === o.long)) cmd.addOption(o);
  cmd.addCommand(
    addViewFlags(new Command("service"))
      .description("Show one service's instances (id, address, health, host, container). Exit 66 when it has none.")
      .argument("<name>", "service name")
      .action((name: string, _f: ViewFlags, self: Command) => actions.view(name, flagsOf<ViewFlags>(self)))
      .exitOverride(),
  );
  cmd.addCommand(
    new Command("events")
      .description("Print a catalog server's recent changes, oldest first: registrations, deregistrations, health changes, updates and refused containers, each with time, host, container and instance. --follow keeps printing new ones.")
      .option("--registry <uri>", "the catalog server (portolan up, portolan catalog serve): portolan://HOST:PORT", DEFAULT_CATALOG_REGISTRY)
      .option("--json", "one JSON object per change and line instead of a table")
      .option("--follow", "keep printing changes as they come, until SIGINT/SIGTERM")
      .option("--timeout <duration>", "give up when the server does not answer within this long", "10s")
      .action((_f: EventsFlags, self: Command) => (actions.events ?? events)(flagsOf<EventsFlags>(self)))
      .exitOverride(),
  );
  cmd.addCommand(
    new Command("refusals")
      .description("Print what every host's registrator refuses now (bad name, another owner's ID, a label over a limit…): host, container, port, key, reason, since. Shared through the backend (Consul KV, ZooKeeper); others say they do not share them.")
      .option("--registry <uri>", REGISTRY_URI_HELP, DEFAULT_CATALOG_REGISTRY)
      .option("--json", "the HTTP API's document (GET /v1/refusals) instead of a table")
      .option("--timeout <duration>", "give up when the registry does not answer within this long", "10s")
      .action((_f: EventsFlags, self: Command) => (actions.refusals ?? refusals)(flagsOf<EventsFlags>(self)))
      .exitOverride(),
  );
  const serveCmd = new Command("serve")
    .description("Serve the catalog: JSON API, server-sent events, /metrics, Prometheus HTTP SD and the live page.")
    .action((_f: ServeFlags, self: Command) => {
      // Required, but possibly given before `serve`: checked once both sides are merged. No default: memory: would
      // serve an empty catalog for ever (the embedded registry is only useful inside `portolan up`).
      const f = flagsOf<Omit<ServeFlags, "registry"> & { registry?: string }>(self);
      if (f.registry === undefined) self.error("error: required option '--registry <uri>' not specified", { code: "commander.missingMandatoryOptionValue", exitCode: EXIT_USAGE });
      return actions.serve({ ...f, registry: f.registry });
    })
    .exitOverride();
  for (const o of serveOptions()) serveCmd.addOption(o);
  cmd.addCommand(serveCmd);
  return cmd;
}

export interface CatalogFlags {
  listen: string;
  token?: string;
  maxConnections: string;
}

/** Adds the catalog server's flags to `portolan up`. */
export function addCatalogFlags(cmd: Command): Command {
  return cmd
    .option("--listen <host:port>", "catalog API, page and /metrics address; any non-loopback address requires --token", DEFAULT_LISTEN)
    .option("--token <token>", "bearer token for the catalog API and page (default: $PORTOLAN_CATALOG_TOKEN); never logged")
    .option("--max-connections <n>", `catalog server: ${MAX_CONNECTIONS_HELP}`, String(DEFAULT_MAX_CONNECTIONS));
}

/**
 * The catalog beside the registrator (`portolan up`): served from the same registry, fed the registrator's events,
 * timing its backend calls. `started` receives the running catalog (e.g. to add the DNS shim's stats to /metrics).
 */
export function catalogCompanion(f: CatalogFlags, started?: (c: RunningCatalog) => void): (registry: Registry, log: Logger, owner: string) => Promise<Companion> {
  // Checked now, before anything starts: a bad --listen or --token is a usage error with no effect.
  const { listen, token, maxConnections } = serverFlags(f);
  return async (registry, log, owner) => {
    const metrics = new CatalogMetrics(registry.kind);
    const catalog = await startCatalog({ registry, listen, token, logger: log, metrics, maxConnections });
    started?.(catalog);
    const onEvent = (e: RegistratorEvent) => {
      metrics.onRegistratorEvent(e);
      // A refusal never reaches the backend: this process's catalog hears it from its own registrator.
      if (e.type === "rejected") catalog.state.refused(e.rejection, owner);
    };
    return { registry: new InstrumentedRegistry(registry, metrics), onEvent, stop: () => catalog.stop() };
  };
}
