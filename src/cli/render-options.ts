// Flags shared by `portolan render` and `portolan exec`: one table of commander options, one parseRenderOptions()
// that applies the DEFAULT_* constants and rejects malformed or conflicting values (naming the flags).
// No flag is called --env-file: Node reads that name anywhere in argv and exits before portolan runs (nodejs/node#54232).
import { Option, type Command } from "commander";
import { parseDuration } from "../core/util.js";
import type { EnvFileRef } from "../render/config.js";
import { DEFAULT_KILL_SIGNAL, DEFAULT_KILL_TIMEOUT_MS, DEFAULT_RELOAD_SIGNAL, parseSignal } from "../render/child.js";
import type { TemplateDirSpec, TemplateSpec } from "../render/pipeline.js";
import { RenderUsageError } from "../render/run-errors.js";
import { DEFAULT_WAIT_TIMEOUT_MS, parseWaitTarget, type WaitTarget } from "../render/wait.js";
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
}

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
  logLevel?: string;
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

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds the flags both commands share. */
export function addRenderOptions(cmd: Command): Command {
  return cmd
    .option("--name <name>", "program name: with --env-dir, also load <name>.env (last, highest of the directory's files)")
    .option(
      "--env-dir <dir>",
      "load, in this order and each only if present: service-locations.env, service-config.env, cluster.env, secrets.env, <name>.env",
    )
    .option(
      "--environment-file <[-]path>",
      "env file in systemd EnvironmentFile= syntax (repeatable; later files win; a leading '-' makes the file optional)",
      collect,
    )
    .addOption(new Option("--env-format <format>", "syntax of env files").choices(["systemd", "dotenv"]).default("systemd"))
    .option("--files-override-env", "env files beat the process env (default: process env beats files)")
    .option("--spec <file>", "variable spec (JSON or YAML): types, required, defaults, secrets, patterns")
    .option(
      "--template <src:dest[:mode]>",
      "render mustache template SRC to DEST (repeatable); MODE is octal (default 0644, or 0600 when a secret is used)",
      collect,
    )
    .option(
      "--template-dir <srcdir:destdir[:mode]>",
      "render every *.mustache / *.tmpl file below SRCDIR to the same relative path below DESTDIR, extension stripped (repeatable)",
      collect,
    )
    .option("--registry <uri>", "registry for {{#services.NAME}} sections: memory: | consul://HOST:PORT | zk://HOSTS/CHROOT")
    .option("--wait <uri>", "before rendering, wait for tcp://HOST:PORT, http(s)://URL (status < 400) or file:///PATH (repeatable)", collect)
    .option("--wait-timeout <duration>", "give up waiting (and reading --registry) after this long", `${DEFAULT_WAIT_TIMEOUT_MS / 1000}s`)
    .option("--log-level <level>", "trace | debug | info | warn | error | silent (default: $PORTOLAN_LOG_LEVEL or info)");
}

/** Adds the flags only `portolan exec` has. */
export function addExecOptions(cmd: Command): Command {
  return cmd
    .option("--kill-timeout <duration>", "after forwarding SIGTERM/SIGINT, wait this long, then SIGKILL the program", `${DEFAULT_KILL_TIMEOUT_MS / 1000}s`)
    .option("--watch", "keep following --registry; re-render on service location changes, then reload the program")
    .option("--watch-min-quiet <duration>", "re-render once changes have been quiet this long", `${DEFAULT_WATCH_MIN_QUIET_MS}ms`)
    .option("--watch-max-quiet <duration>", "but never wait longer than this after the first change", `${DEFAULT_WATCH_MAX_QUIET_MS / 1000}s`)
    .option("--reload-signal <signal>", `signal sent to the program after a re-render changed a file (default: ${DEFAULT_RELOAD_SIGNAL})`)
    .option("--reload-cmd <command>", "instead of a signal, run this shell command (sh -c) after a re-render changed a file")
    .option("--exec-replace", "replace portolan with the program (process.execve; Node >= 22.15 / 23.11) instead of supervising it");
}

function duration(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new RenderUsageError(`${flag} ${JSON.stringify(text)}: expected a duration such as 500ms, 10s, 1m30s`);
  return ms;
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
  return sig;
}

/** Merges defaults, validates every value and rejects conflicting flags. Throws RenderUsageError. */
export function parseRenderOptions(raw: RawRenderOptions, mode: "render" | "exec"): RenderOptions {
  const envFormat = raw.envFormat ?? "systemd";
  if (envFormat !== "systemd" && envFormat !== "dotenv") throw new RenderUsageError(`--env-format ${envFormat}: expected systemd or dotenv`);
  const opts: RenderOptions = {
    environmentFiles: (raw.environmentFile ?? []).map((p) => (p.startsWith("-") ? { path: p.slice(1), optional: true } : { path: p, optional: false })),
    envFormat,
    filesOverrideEnv: raw.filesOverrideEnv === true,
    templates: (raw.template ?? []).map(parseTemplateSpec),
    templateDirs: (raw.templateDir ?? []).map(parseTemplateDirSpec),
    waits: (raw.wait ?? []).map(parseWaitTarget),
    waitTimeoutMs: duration("--wait-timeout", raw.waitTimeout, DEFAULT_WAIT_TIMEOUT_MS),
    dryRun: raw.dryRun === true,
    watch: raw.watch === true,
    watchMinQuietMs: duration("--watch-min-quiet", raw.watchMinQuiet, DEFAULT_WATCH_MIN_QUIET_MS),
    watchMaxQuietMs: duration("--watch-max-quiet", raw.watchMaxQuiet, DEFAULT_WATCH_MAX_QUIET_MS),
    reloadSignal: signalOption("--reload-signal", raw.reloadSignal, DEFAULT_RELOAD_SIGNAL),
    killSignal: DEFAULT_KILL_SIGNAL,
    killTimeoutMs: duration("--kill-timeout", raw.killTimeout, DEFAULT_KILL_TIMEOUT_MS),
    execReplace: raw.execReplace === true,
  };
  for (const f of opts.environmentFiles) if (!f.path) throw new RenderUsageError("--environment-file: empty path");
  if (raw.name !== undefined) opts.name = raw.name;
  if (raw.envDir !== undefined) opts.envDir = raw.envDir;
  if (raw.spec !== undefined) opts.spec = raw.spec;
  if (raw.registry !== undefined) opts.registry = raw.registry;
  if (raw.reloadCmd !== undefined) opts.reloadCmd = raw.reloadCmd;
  if (raw.logLevel !== undefined) opts.logLevel = raw.logLevel;
  if (opts.logLevel !== undefined && !LOG_LEVELS.includes(opts.logLevel)) throw new RenderUsageError(`--log-level ${opts.logLevel}: expected one of ${LOG_LEVELS.join(", ")}`);
  if (opts.watch && !opts.registry) throw new RenderUsageError("--watch needs --registry (the registry to follow)");
  if (opts.watch && opts.execReplace) throw new RenderUsageError("--watch and --exec-replace conflict: a replaced process cannot re-render");
  if (opts.reloadCmd !== undefined && raw.reloadSignal !== undefined) throw new RenderUsageError("--reload-cmd and --reload-signal conflict: pick one");
  if (opts.watchMaxQuietMs < opts.watchMinQuietMs) throw new RenderUsageError("--watch-max-quiet must not be shorter than --watch-min-quiet");
  if (mode === "render" && (opts.watch || opts.execReplace)) throw new RenderUsageError("--watch and --exec-replace belong to `portolan exec`");
  return opts;
}
