// Renderer failures (one class per failure) and the CLI exit codes of `portolan render` / `portolan exec`.
//
// Exit codes come from sysexits(3) (64..78): shells and programs rarely use them (children usually exit 0, 1, 2,
// 126, 127 or 128+signal), so an operator can tell "portolan refused to start the program" from "the program
// failed". `exec` otherwise exits with the child's own code, or 128+signal when the child was killed.

import { PortolanError } from "../core/errors.js";
import { EXIT_CONFIG } from "../core/exit-codes.js";
import type { ConfigProblem } from "./types.js";

// The named codes, with their meanings, are in src/core/exit-codes.ts (one table for --help and README.md).
export {
  EXIT_CANTCREAT,
  EXIT_CONFIG,
  EXIT_NOINPUT,
  EXIT_OSERR,
  EXIT_SOFTWARE,
  EXIT_TEMPFAIL,
  EXIT_TEMPLATE,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
} from "../core/exit-codes.js";

/** One line for a problem: the message already names the variable and where its value came from. */
export function formatProblem(p: ConfigProblem): string {
  return p.message;
}

/**
 * The configuration could not be loaded or did not validate. Carries every problem found (never just the first).
 * No message contains a secret value.
 */
export class ConfigError extends PortolanError {
  override name = "ConfigError";
  readonly problems: ConfigProblem[];
  readonly exitCode = EXIT_CONFIG;
  constructor(problems: ConfigProblem[]) {
    const n = problems.length;
    super(`${n} configuration problem${n === 1 ? "" : "s"}:\n${problems.map(formatProblem).join("\n")}`);
    this.problems = problems;
  }
  /** One line per problem, in the order found. */
  format(): string {
    return this.problems.map(formatProblem).join("\n");
  }
}

/** One problem in a spec file: a dotted path inside the file (`variables.PORT.min`) and, when known, its line. */
export interface SpecProblem {
  path: string;
  line?: number;
  message: string;
}

/** The spec file (`--spec`) is unreadable, not JSON/YAML, or does not follow the spec schema. */
export class SpecError extends PortolanError {
  override name = "SpecError";
  readonly file: string;
  readonly problems: SpecProblem[];
  readonly exitCode = EXIT_CONFIG;
  constructor(opts: { file: string; problems: SpecProblem[]; cause?: unknown }) {
    const lines = opts.problems.map((p) => formatSpecProblem(opts.file, p));
    super(`invalid spec ${opts.file}:\n${lines.join("\n")}`, { cause: opts.cause });
    this.file = opts.file;
    this.problems = opts.problems;
  }
  /** One line per problem: `FILE:LINE: path: message`. */
  format(): string {
    return this.problems.map((p) => formatSpecProblem(this.file, p)).join("\n");
  }
}

function formatSpecProblem(file: string, p: SpecProblem): string {
  const where = p.line !== undefined ? `${file}:${p.line}` : file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}
