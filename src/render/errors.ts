// The renderer's configuration failures (one class per failure); their exit codes are in src/cli/exit.ts.
import { PortolanError } from "../core/errors.js";
import type { ConfigProblem } from "./types.js";

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
