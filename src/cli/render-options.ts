// Flags of `portolan render` and `portolan exec`: one table (FLAGS, see flag-table.ts) feeding both commander (help) and the
// commander-free fast parser (parseArgv, what a container start runs), and one parseRenderOptions()
// that applies the DEFAULT_* constants and rejects malformed or conflicting values (naming the flags).
// Why two parsers: render/exec run at every container start, whose cost is measured against `node -e 0`
// (bench/exec.sh). Loading commander and parsing with it costs about 5 ms of CPU even from the code-cached bundle
// (node:util parseArgs: about 1 ms), a large part of what exec may spend beyond `node -e 0`. So a start parses
// with parseArgs; commander answers --help and words the refusal of argv the fast parser does not take, as for
// every other command. Both read FLAGS, so a flag is declared once and the two cannot disagree on names or arity.
// No flag is called --env-file: Node reads that name anywhere in argv and exits before portolan runs (nodejs/node#54232).
import { parseArgs } from "node:util";
import { camel, joinDashValues, optionTypes, type FlagSpec, type OptionTypes } from "./flag-table.js";
import { RegistryUriError } from "../core/errors.js";
import { LOG_LEVELS, resolveLogLevel } from "../core/log-level.js";
import { durationFlag } from "../core/util.js";
import { parseRegistryUri, REGISTRY_URI_HELP } from "./registry-uri.js";
import { checkSpecialModes } from "../render/destinations.js";
import { DEFAULT_KILL_SIGNAL, DEFAULT_KILL_TIMEOUT_MS, DEFAULT_RELOAD_SIGNAL, parseSignal } from "../render/child.js";
import type { TemplateDirSpec, TemplateSpec } from "../render/templates.js";
import { RenderUsageError } from "../render/run-errors.js";
import type { RenderOptions } from "../render/run.js";
import { DEFAULT_WAIT_TIMEOUT_MS, parseWaitTarget } from "../render/wait.js";
import { DEFAULT_WATCH_MAX_QUIET_MS, DEFAULT_WATCH_MIN_QUIET_MS } from "../render/watch.js";
import { parseMode } from "../render/writer.js";

/** What commander hands the action (strings, repeatable flags as arrays). */
export interface RawRenderOptions {
  name?: string;
  envDir?: string;
  environmentFile?: string[];
  envFormat?: string;
  filesOverrideEnv?: boolean;
  spec?: string;
  template?: string[];
  templateDir?: string[];
  registry?: string;
  wait?: string[];
  waitTimeout?: string;
  logLevel?: string;
  dryRun?: boolean;
  // exec only
  watch?: boolean;
  watchMinQuiet?: string;
  watchMaxQuiet?: string;
  reloadSignal?: string;
  reloadCmd?: string;
  killTimeout?: string;
  execReplace?: boolean;
  allowSpecialModes?: boolean;
}

export const FLAGS: readonly FlagSpec[] = [
  { flag: "name", arg: "<name>", help: "program name: with --env-dir, also load <name>.env (last, highest of the directory's files)" },
  { flag: "env-dir", arg: "<dir>", help: "load, in this order and each only if present: service-locations.env, service-config.env, cluster.env, secrets.env, <name>.env" },
  {
    flag: "environment-file",
    arg: "<[-]path>",
    repeatable: true,
    help: "env file in systemd EnvironmentFile= syntax (repeatable; later files win; a leading '-' makes the file optional)",
  },
  { flag: "env-format", arg: "<format>", choices: ["systemd", "dotenv"], defaultText: "systemd", help: "syntax of env files" },
  { flag: "files-override-env", help: "env files beat the process env (default: process env beats files)" },
  { flag: "spec", arg: "<file>", help: "variable spec (JSON or YAML): types, required, defaults, secrets, patterns" },
  {
    flag: "template",
    arg: "<src:dest[:mode]>",
    repeatable: true,
    help: "render mustache template SRC to DEST (repeatable); MODE is octal (default 0644, or 0600 when a secret is used)",
  },
  {
    flag: "template-dir",
    arg: "<srcdir:destdir[:mode]>",
    repeatable: true,
    help: "render every *.mustache / *.tmpl file below SRCDIR to the same relative path below DESTDIR, extension stripped (repeatable)",
  },
  { flag: "allow-special-modes", help: "let a --template / --template-dir MODE set setuid, setgid or sticky bits (above 0777)" },
  { flag: "registry", arg: "<uri>", help: `${REGISTRY_URI_HELP}; read for {{#services.NAME}} sections` },
  { flag: "wait", arg: "<uri>", repeatable: true, help: "before rendering, wait for tcp://HOST:PORT, http(s)://URL (status < 400) or file:///PATH (repeatable)" },
  { flag: "wait-timeout", arg: "<duration>", defaultText: `${DEFAULT_WAIT_TIMEOUT_MS / 1000}s`, help: "give up waiting (and reading --registry) after this long" },
  { flag: "log-level", arg: "<level>", help: `${LOG_LEVELS.join(" | ")} (default: $PORTOLAN_LOG_LEVEL or info)` },
  { flag: "dry-run", only: "render", help: "print what would be written (secret values masked); write nothing" },
  { flag: "kill-timeout", arg: "<duration>", only: "exec", defaultText: `${DEFAULT_KILL_TIMEOUT_MS / 1000}s`, help: "after forwarding SIGTERM/SIGINT, wait this long, then SIGKILL the program" },
  { flag: "watch", only: "exec", help: "keep following --registry; re-render on service location changes, then reload the program" },
  { flag: "watch-min-quiet", arg: "<duration>", only: "exec", defaultText: `${DEFAULT_WATCH_MIN_QUIET_MS}ms`, help: "re-render once changes have been quiet this long" },
  { flag: "watch-max-quiet", arg: "<duration>", only: "exec", defaultText: `${DEFAULT_WATCH_MAX_QUIET_MS / 1000}s`, help: "but never wait longer than this after the first change" },
  { flag: "reload-signal", arg: "<signal>", only: "exec", defaultText: DEFAULT_RELOAD_SIGNAL, help: "signal sent to the program after a re-render changed a file" },
  { flag: "reload-cmd", arg: "<command>", only: "exec", help: "instead of a signal, run this shell command (sh -c) after a re-render changed a file" },
  { flag: "exec-replace", only: "exec", help: "replace portolan with the program (process.execve; Node >= 22.15 / 23.11) instead of supervising it" },
];

export function flagsFor(mode: "render" | "exec"): FlagSpec[] {
  return FLAGS.filter((f) => f.only === undefined || f.only === mode);
}

function optionTypesFor(mode: "render" | "exec"): OptionTypes {
  return optionTypes(flagsFor(mode));
}

/**
 * `exec`: where the program starts. Everything from the first argument that is neither a flag nor a flag's value
 * belongs to the program (`exec sh -c x --name y` runs `sh -c x --name y`), as does everything after `--`.
 * Returns portolan's flags and the program (undefined when there is none).
 */
export function splitProgram(args: string[], mode: "render" | "exec"): { flags: string[]; program: string[] | undefined } {
  const options = optionTypesFor(mode);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return { flags: args.slice(0, i), program: args.slice(i + 1) };
    if (a.startsWith("-") && a !== "-") {
      if (a.startsWith("--") && !a.includes("=") && options[a.slice(2)]?.type === "string") i++; // its value, whatever it looks like
      continue;
    }
    if (mode === "exec") return { flags: args.slice(0, i), program: args.slice(i) };
  }
  return { flags: args, program: undefined };
}

/**
 * Parses argv after the command name without commander (node:util parseArgs): the container-start fast path.
 * Same flags, `--flag=value` and `--flag value`; for `exec` the program is the first non-flag argument and
 * everything after it (or everything after `--`).
 */
export function parseArgv(args: string[], mode: "render" | "exec"): { raw: RawRenderOptions; positionals: string[] } {
  const options = optionTypesFor(mode);
  const { flags, program } = splitProgram(args, mode);
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinDashValues(flags, options), allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new RenderUsageError((err as Error).message);
  }
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed.values)) raw[camel(k)] = v;
  return { raw: raw as RawRenderOptions, positionals: [...parsed.positionals, ...(program ?? [])] };
}

/** A render duration flag: a unit is required (a bare number is refused); 0 is allowed. */
function duration(flag: string, text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : durationFlag(flag, text, { minMs: 0 });
}

function splitSpec(flag: string, text: string): { parts: [string, string]; mode?: number } {
  const parts = text.split(":");
  let mode: number | undefined;
  if (parts.length === 3) {
    mode = parseMode(parts[2]!);
    if (mode === undefined) throw new RenderUsageError(`${flag} ${JSON.stringify(text)}: MODE must be octal, e.g. 0640`);
    parts.pop();
  }
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new RenderUsageError(`${flag} ${JSON.stringify(text)}: expected SRC:DEST[:MODE]`);
  return mode === undefined ? { parts: [parts[0], parts[1]] } : { parts: [parts[0], parts[1]], mode };
}

export function parseTemplateSpec(text: string): TemplateSpec {
  const { parts, mode } = splitSpec("--template", text);
  return mode === undefined ? { src: parts[0], dest: parts[1] } : { src: parts[0], dest: parts[1], mode };
}

export function parseTemplateDirSpec(text: string): TemplateDirSpec {
  const { parts, mode } = splitSpec("--template-dir", text);
  return mode === undefined ? { srcDir: parts[0], destDir: parts[1] } : { srcDir: parts[0], destDir: parts[1], mode };
}

function signalOption(flag: string, text: string | undefined, fallback: NodeJS.Signals): NodeJS.Signals {
  if (text === undefined) return fallback;
  const sig = parseSignal(text);
  if (!sig) throw new RenderUsageError(`${flag} ${JSON.stringify(text)}: not a signal name`);
  if (sig === "SIGKILL" || sig === "SIGSTOP") throw new RenderUsageError(`${flag} ${sig}: a program cannot handle it, so it cannot mean "reload"`);
  return sig;
}

/** `--name` names a file in `--env-dir` (`<name>.env`): a plain file name, never a path. */
function nameOption(text: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(text)) {
    throw new RenderUsageError(`--name ${JSON.stringify(text)}: expected a plain name (letters, digits, "_", ".", "-"; no "/"), e.g. push-server`);
  }
  return text;
}


/** The registry URI and its settings, checked up front (before --wait may wait a minute). */
function registryOption(uri: string, env: Record<string, string | undefined>): string {
  try {
    parseRegistryUri(uri, env);
  } catch (err) {
    if (err instanceof RegistryUriError) throw new RenderUsageError(`--registry: ${err.message}`);
    throw err;
  }
  return uri;
}

/** Merges defaults, validates every value and rejects conflicting flags. Throws RenderUsageError. */
export function parseRenderOptions(raw: RawRenderOptions, mode: "render" | "exec", env: Record<string, string | undefined> = process.env): RenderOptions {
  const envFormat = raw.envFormat ?? "systemd";
  if (envFormat !== "systemd" && envFormat !== "dotenv") throw new RenderUsageError(`--env-format ${JSON.stringify(envFormat)}: expected systemd or dotenv`);
  const opts: RenderOptions = {
    environmentFiles: (raw.environmentFile ?? []).map((p) => (p.startsWith("-") ? { path: p.slice(1), optional: true } : { path: p, optional: false })),
    envFormat,
    filesOverrideEnv: raw.filesOverrideEnv === true,
    templates: (raw.template ?? []).map(parseTemplateSpec),
    templateDirs: (raw.templateDir ?? []).map(parseTemplateDirSpec),
    waits: (raw.wait ?? []).map(parseWaitTarget),
    waitTimeoutMs: duration("wait-timeout", raw.waitTimeout, DEFAULT_WAIT_TIMEOUT_MS),
    logLevel: resolveLogLevel(raw.logLevel, env),
    dryRun: raw.dryRun === true,
    watch: raw.watch === true,
    watchMinQuietMs: duration("watch-min-quiet", raw.watchMinQuiet, DEFAULT_WATCH_MIN_QUIET_MS),
    watchMaxQuietMs: duration("watch-max-quiet", raw.watchMaxQuiet, DEFAULT_WATCH_MAX_QUIET_MS),
    reloadSignal: signalOption("--reload-signal", raw.reloadSignal, DEFAULT_RELOAD_SIGNAL),
    killSignal: DEFAULT_KILL_SIGNAL,
    killTimeoutMs: duration("kill-timeout", raw.killTimeout, DEFAULT_KILL_TIMEOUT_MS),
    execReplace: raw.execReplace === true,
  };
  for (const f of opts.environmentFiles) if (!f.path) throw new RenderUsageError("--environment-file: empty path");
  const modeSpecs = (flag: string, texts: string[] | undefined, parsed: Array<{ mode?: number }>) => (texts ?? []).map((text, i) => ({ flag, text, ...parsed[i] }));
  checkSpecialModes([...modeSpecs("--template", raw.template, opts.templates), ...modeSpecs("--template-dir", raw.templateDir, opts.templateDirs)], raw.allowSpecialModes === true);
  if (raw.name !== undefined) opts.name = nameOption(raw.name);
  if (raw.envDir !== undefined) opts.envDir = raw.envDir;
  if (raw.spec !== undefined) opts.spec = raw.spec;
  if (raw.registry !== undefined) opts.registry = registryOption(raw.registry, env);
  if (raw.reloadCmd !== undefined) opts.reloadCmd = raw.reloadCmd;
  if (opts.watch && !opts.registry) throw new RenderUsageError("--watch needs --registry (the registry to follow)");
  if (opts.watch && opts.execReplace) throw new RenderUsageError("--watch and --exec-replace conflict: a replaced process cannot re-render");
  if (opts.reloadCmd !== undefined && raw.reloadSignal !== undefined) throw new RenderUsageError("--reload-cmd and --reload-signal conflict: pick one");
  if (opts.watchMaxQuietMs < opts.watchMinQuietMs) throw new RenderUsageError("--watch-max-quiet must not be shorter than --watch-min-quiet");
  if (mode === "render" && (opts.watch || opts.execReplace)) throw new RenderUsageError("--watch and --exec-replace belong to `portolan exec`");
  return opts;
}
