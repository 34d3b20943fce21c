// Failures of the renderer's later stages (templates, writer, wait, child). Config failures live in errors.ts.
// Each class carries the exit code `portolan render` / `portolan exec` ends with (named constants from errors.ts).
import { PortolanError, UsageError } from "../core/errors.js";
import { EXIT_CANTCREAT, EXIT_CONFIG, EXIT_NOINPUT, EXIT_OSERR, EXIT_TEMPFAIL, EXIT_TEMPLATE, EXIT_UNAVAILABLE, EXIT_USAGE } from "./errors.js";

/** mustache could not parse a template (unclosed section, bad tag) or it uses an unsupported feature (partials). */
export class TemplateSyntaxError extends PortolanError {
  override name = "TemplateSyntaxError";
  readonly exitCode = EXIT_TEMPLATE;
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
  readonly exitCode = EXIT_TEMPLATE;
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
  readonly exitCode = EXIT_TEMPLATE;
  readonly missing: MissingNameAt[];
  constructor(missing: MissingNameAt[]) {
    super(`unknown name${missing.length === 1 ? "" : "s"} in templates:\n${missing.map((m) => `${m.file}:${m.line}: {{${m.name}}} is not defined`).join("\n")}`);
    this.missing = missing;
  }
}

/** A template source (file or directory) cannot be read. */
export class TemplateReadError extends PortolanError {
  override name = "TemplateReadError";
  readonly exitCode = EXIT_NOINPUT;
  readonly path: string;
  constructor(opts: { path: string; cause?: unknown }) {
    super(`cannot read template ${opts.path}: ${(opts.cause as Error | undefined)?.message ?? "unreadable"}`, { cause: opts.cause });
    this.path = opts.path;
  }
}

/** An output file could not be written (nothing else was written after it either). */
export class OutputWriteError extends PortolanError {
  override name = "OutputWriteError";
  readonly exitCode = EXIT_CANTCREAT;
  readonly path: string;
  constructor(opts: { path: string; cause?: unknown }) {
    super(`cannot write ${opts.path}: ${(opts.cause as Error | undefined)?.message ?? "failed"}`, { cause: opts.cause });
    this.path = opts.path;
  }
}

/** `--wait` targets that did not come up within `--wait-timeout`. */
export class WaitTimeoutError extends PortolanError {
  override name = "WaitTimeoutError";
  readonly exitCode = EXIT_TEMPFAIL;
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
  readonly exitCode = EXIT_UNAVAILABLE;
  constructor(opts: { uri: string; message: string; cause?: unknown }) {
    super(`registry ${opts.uri}: ${opts.message}`, { cause: opts.cause });
  }
}

/** `--registry` refuses our credentials (token, certificates): a configuration error, retrying will not help. */
export class RegistryAuthError extends PortolanError {
  override name = "RegistryAuthError";
  readonly exitCode = EXIT_CONFIG;
  constructor(opts: { uri: string; message: string; cause?: unknown }) {
    super(`registry ${opts.uri}: ${opts.message}`, { cause: opts.cause });
  }
}

/** The child program could not be started (not found, not executable). */
export class ChildStartError extends PortolanError {
  override name = "ChildStartError";
  readonly exitCode = EXIT_OSERR;
  readonly command: string;
  constructor(opts: { command: string; cause?: unknown }) {
    super(`cannot start ${opts.command}: ${(opts.cause as Error | undefined)?.message ?? "failed"}`, { cause: opts.cause });
    this.command = opts.command;
  }
}

/** `--exec-replace` on a Node without `process.execve` (added in Node 23.11 / 22.15). */
export class ExecReplaceUnsupportedError extends PortolanError {
  override name = "ExecReplaceUnsupportedError";
  readonly exitCode = EXIT_USAGE;
  readonly nodeVersion: string;
  constructor(nodeVersion: string) {
    super(`--exec-replace needs process.execve (Node >= 22.15 or >= 23.11); this is Node ${nodeVersion}. Drop --exec-replace to run the program as a supervised child.`);
    this.nodeVersion = nodeVersion;
  }
}

/** Bad flags or arguments for render/exec (conflicting options, malformed values). */
export class RenderUsageError extends UsageError {
  override name = "RenderUsageError";
  readonly exitCode = EXIT_USAGE;
}
