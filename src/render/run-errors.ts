// Failures of the renderer's later stages (templates, writer, wait, child). Config failures live in errors.ts.
// Their exit codes are in src/cli/exit.ts.
import { PortolanError, UsageError } from "../core/errors.js";

/** mustache could not parse a template (unclosed section, bad tag) or it uses an unsupported feature (partials). */
export class TemplateSyntaxError extends PortolanError {
  override name = "TemplateSyntaxError";
  readonly file: string | undefined;
  readonly line: number;
  readonly detail: string;
  constructor(opts: { file?: string; line: number; message: string; cause?: unknown }) {
    super(`${opts.file ?? "template"}:${opts.line}: ${opts.message}`, { cause: opts.cause });
    this.file = opts.file;
    this.line = opts.line;
    this.detail = opts.message;
  }
}

/** A template's output grew past its limit (limits.ts MAX_OUTPUT_BYTES), e.g. a loop over a very long list. */
export class TemplateOutputTooLargeError extends PortolanError {
  override name = "TemplateOutputTooLargeError";
  readonly file: string | undefined;
  readonly line: number;
  readonly limit: number;
  constructor(opts: { file?: string; line: number; limit: number }) {
    super(`${opts.file ?? "template"}:${opts.line}: output longer than the limit of ${opts.limit} characters`);
    this.file = opts.file;
    this.line = opts.line;
    this.limit = opts.limit;
  }
}

export interface MissingNameAt {
  file: string;
  name: string;
  line: number;
}

/** Templates use names that resolve to nothing; every one of them, over every template, is listed. */
export class MissingTemplateNameError extends PortolanError {
  override name = "MissingTemplateNameError";
  readonly missing: MissingNameAt[];
  constructor(missing: MissingNameAt[]) {
    super(`unknown name${missing.length === 1 ? "" : "s"} in templates:\n${missing.map((m) => `${m.file}:${m.line}: {{${m.name}}} is not defined`).join("\n")}`);
    this.missing = missing;
  }
}

/** A template source (file or directory) cannot be read. */
export class TemplateReadError extends PortolanError {
  override name = "TemplateReadError";
  readonly path: string;
  constructor(opts: { path: string; cause?: unknown }) {
    super(`cannot read template ${opts.path}: ${(opts.cause as Error | undefined)?.message ?? "unreadable"}`, { cause: opts.cause });
    this.path = opts.path;
  }
}

/** An output file could not be written (nothing else was written after it either). */
export class OutputWriteError extends PortolanError {
  override name = "OutputWriteError";
  readonly path: string;
  constructor(opts: { path: string; cause?: unknown }) {
    super(`cannot write ${opts.path}: ${(opts.cause as Error | undefined)?.message ?? "failed"}`, { cause: opts.cause });
    this.path = opts.path;
  }
}

/** `--wait` targets that did not come up within `--wait-timeout`. */
export class WaitTimeoutError extends PortolanError {
  override name = "WaitTimeoutError";
  readonly targets: Array<{ target: string; lastError: string }>;
  constructor(opts: { timeoutMs: number; targets: Array<{ target: string; lastError: string }> }) {
    super(
      `not ready after ${opts.timeoutMs}ms: ${opts.targets.map((t) => `${t.target} (${t.lastError})`).join(", ")}`,
    );
    this.targets = opts.targets;
  }
}

/** The registry given with `--registry` could not be read in time. */
export class RegistryReadError extends PortolanError {
  override name = "RegistryReadError";
  constructor(opts: { uri: string; message: string; cause?: unknown }) {
    super(`registry ${opts.uri}: ${opts.message}`, { cause: opts.cause });
  }
}

/** The child program could not be started (not found, not executable). */
export class ChildStartError extends PortolanError {
  override name = "ChildStartError";
  readonly command: string;
  constructor(opts: { command: string; cause?: unknown }) {
    super(`cannot start ${opts.command}: ${(opts.cause as Error | undefined)?.message ?? "failed"}`, { cause: opts.cause });
    this.command = opts.command;
  }
}

/** A variable's name and the bytes it takes in the program's environment (`NAME=value`); never its value. */
export interface EnvSize {
  name: string;
  bytes: number;
}

/** Linux's limit on one argument or `NAME=value` string passed to execve(2) (MAX_ARG_STRLEN, 32 pages). */
export const MAX_ARG_STRLEN = 128 * 1024;

/**
 * execve(2) refused the program's arguments and environment as too large (E2BIG): one string over
 * MAX_ARG_STRLEN, or all together over ARG_MAX. Names the largest variables with their sizes, never a value.
 */
export class ChildEnvTooLargeError extends PortolanError {
  override name = "ChildEnvTooLargeError";
  readonly command: string;
  readonly largest: EnvSize[];
  readonly totalBytes: number;
  constructor(opts: { command: string; largest: EnvSize[]; totalBytes: number; cause?: unknown }) {
    const list = opts.largest.map((v) => `${v.name} (${v.bytes} bytes)`).join(", ");
    super(
      `cannot start ${opts.command}: its environment and arguments (${opts.totalBytes} bytes) are too large for execve (E2BIG; ` +
        `one variable may take at most ${MAX_ARG_STRLEN} bytes); largest variables: ${list}`,
      { cause: opts.cause },
    );
    this.command = opts.command;
    this.largest = opts.largest;
    this.totalBytes = opts.totalBytes;
  }
}

const sizeOf = (name: string, value: string) => Buffer.byteLength(name) + 1 + Buffer.byteLength(value) + 1;

/**
 * The error for a spawn that failed before the program ran. Node's own messages can quote a value (a NUL byte
 * error prints the whole string), so these name variables only: E2BIG lists the five largest variables (and
 * `argv[i]` entries for oversized arguments), a NUL byte names the variables or arguments that hold one.
 */
export function childStartError(opts: { command: string; args: string[]; env: Record<string, string>; cause: unknown }): PortolanError {
  const { command, args, env, cause } = opts;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const entries: Array<[string, string]> = [...Object.entries(env), ...[command, ...args].map((a, i): [string, string] => [`argv[${i}]`, a])];
  if (code === "E2BIG") {
    const sizes = entries.map(([name, value]) => ({ name, bytes: sizeOf(name, value) }));
    const largest = sizes.filter((s) => !s.name.startsWith("argv[") || s.bytes > MAX_ARG_STRLEN).sort((a, b) => b.bytes - a.bytes).slice(0, 5);
    return new ChildEnvTooLargeError({ command, largest, totalBytes: sizes.reduce((n, s) => n + s.bytes, 0) });
  }
  const withNul = entries.filter(([name, value]) => name.includes("\0") || value.includes("\0")).map(([name]) => name.replace(/\0/g, "\\0"));
  if (withNul.length > 0) return new ChildStartError({ command, cause: new Error(`a NUL byte in ${withNul.join(", ")} (execve cannot pass it)`) });
  return new ChildStartError({ command, cause: new Error(`spawn ${code ?? "failed"}`) });
}

/** `--exec-replace` on a Node without `process.execve` (added in Node 23.11 / 22.15). */
export class ExecReplaceUnsupportedError extends PortolanError {
  override name = "ExecReplaceUnsupportedError";
  readonly nodeVersion: string;
  constructor(nodeVersion: string) {
    super(`--exec-replace needs process.execve (Node >= 22.15 or >= 23.11); this is Node ${nodeVersion}. Drop --exec-replace to run the program as a supervised child.`);
    this.nodeVersion = nodeVersion;
  }
}

/** Bad flags or arguments for render/exec (conflicting options, malformed values). */
export class RenderUsageError extends UsageError {
  override name = "RenderUsageError";
}

/** A MODE with setuid, setgid or sticky bits without `--allow-special-modes`. */
export class SpecialModeError extends RenderUsageError {
  override name = "SpecialModeError";
  readonly flag: string;
  constructor(opts: { flag: string; text: string; mode: number }) {
    super(
      `${opts.flag} ${JSON.stringify(opts.text)}: MODE 0${opts.mode.toString(8)} sets setuid/setgid/sticky bits; ` +
        "modes are limited to 0777 unless --allow-special-modes is given",
    );
    this.flag = opts.flag;
  }
}

/** Two outputs name the same destination file (after resolving the path): each would overwrite the other. */
export class DuplicateDestinationError extends RenderUsageError {
  override name = "DuplicateDestinationError";
  readonly dest: string;
  readonly origins: [string, string];
  constructor(opts: { dest: string; origins: [string, string] }) {
    super(`${opts.origins[0]} and ${opts.origins[1]} both write ${opts.dest}: give each output its own DEST`);
    this.dest = opts.dest;
    this.origins = opts.origins;
  }
}

/** A `--template-dir` file whose name, extension stripped, is made only of dots (`..tmpl` -> DESTDIR itself). */
export class TemplateNameError extends RenderUsageError {
  override name = "TemplateNameError";
  readonly path: string;
  constructor(opts: { flag: string; path: string }) {
    super(`${opts.flag}: ${opts.path}: the output name is made only of dots (it would be DESTDIR or its parent); rename the template`);
    this.path = opts.path;
  }
}
