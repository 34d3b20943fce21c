// A command's flags as one table, read by both parsers: commander (help, and the wording of every refusal) and
// node:util parseArgs (the paths that must not load commander: a container start, the registrator daemon). One
// declaration per flag, so the two cannot disagree on names, arity, choices or defaults. Commander itself is not
// imported here (types only): a table's options are made by the command they are added to.
import type { Command, Option } from "commander";
import { LOG_LEVELS } from "../core/log-level.js";

/** One flag: the single source for commander's help and for the parseArgs parser. */
export interface FlagSpec {
  /** Long name without dashes, e.g. "environment-file". */
  flag: string;
  /** Value placeholder for help (`<path>`); absent for boolean flags. */
  arg?: string;
  repeatable?: boolean;
  /** The value when the flag is not given (set by both parsers, shown by commander as `default: "…"`). */
  default?: string;
  /** Only shown in --help: the command applies the actual default itself, so "unset" stays distinguishable. */
  defaultText?: string;
  /** Allowed values, shown in --help and checked by commander (the fast parsers leave any other value to it). */
  choices?: string[];
  help: string;
  /** Only on `portolan exec` / only on `portolan render`. */
  only?: "exec" | "render";
}

/** `--log-format`, as every long-running command takes it. */
export const LOG_FORMAT_FLAG: FlagSpec = { flag: "log-format", arg: "<format>", help: "log format", choices: ["json", "pretty", "auto"], default: "auto" };

/** `--log-level`, as every command takes it: validated by resolveLogLevel() (falls back to $PORTOLAN_LOG_LEVEL, then info). */
export const LOG_LEVEL_FLAG: FlagSpec = { flag: "log-level", arg: "<level>", help: `log level: ${LOG_LEVELS.join(", ")} (default: $PORTOLAN_LOG_LEVEL or info)` };

export type OptionTypes = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

/** `environment-file` -> `environmentFile` (commander's attribute name). */
export function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The commander option of one flag; `create` is commander's Option constructor (or a command's createOption). */
export function flagOption(f: FlagSpec, create: (flags: string, description: string) => Option): Option {
  const o = create(`--${f.flag}${f.arg ? ` ${f.arg}` : ""}`, f.defaultText ? `${f.help} (default: ${f.defaultText})` : f.help);
  if (f.choices) o.choices(f.choices);
  if (f.default !== undefined) o.default(f.default);
  if (f.repeatable) o.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  return o;
}

/** Adds every flag of `flags` to `cmd`. */
export function addFlagOptions(cmd: Command, flags: readonly FlagSpec[]): Command {
  for (const f of flags) cmd.addOption(flagOption(f, (a, b) => cmd.createOption(a, b)));
  return cmd;
}

/** parseArgs' `options` for a table. */
export function optionTypes(flags: readonly FlagSpec[]): OptionTypes {
  const options: OptionTypes = {};
  for (const f of flags) options[f.flag] = f.arg ? { type: "string", ...(f.repeatable && { multiple: true }) } : { type: "boolean" };
  return options;
}

/**
 * `--environment-file -/etc/x.env` (systemd's optional-file dash), `--retry-attempts -1`: a flag that takes a value
 * takes the next argument whatever it starts with, as commander does; parseArgs would call it ambiguous, so join
 * it as `--flag=value`.
 */
export function joinDashValues(args: string[], options: OptionTypes): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return [...out, ...args.slice(i)];
    const next = args[i + 1];
    if (a.startsWith("--") && !a.includes("=") && options[a.slice(2)]?.type === "string" && next !== undefined && next !== "--" && next.startsWith("-")) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}
