// The one mapping from a failure to the exit code every command ends with, and the one way a failure is printed.
// Errors carry no exit code: each class is named once here, and its subclasses take its code. The lookup walks the
// error's class chain by class name, not `instanceof`, because the render/exec bundle (start.cjs) holds its own copy
// of the error classes while the adapters it loads throw the ES-module copy's (the bundle keeps class names).
import { BackendAuthError, BackendUnavailableError, UsageError } from "../core/errors.js";
import { EXIT_CANTCREAT, EXIT_CONFIG, EXIT_NOINPUT, EXIT_OSERR, EXIT_SOFTWARE, EXIT_TEMPFAIL, EXIT_TEMPLATE, EXIT_UNAVAILABLE, EXIT_USAGE } from "../core/exit-codes.js";
import { crashText, writeStderr } from "../core/output.js";
import { InvalidParameterError, UnknownServiceError } from "../catalog/errors.js";
import { ConfigError, SpecError } from "../render/errors.js";
import {
  ChildStartError,
  ChildEnvTooLargeError,
  ExecReplaceUnsupportedError,
  MissingTemplateNameError,
  OutputWriteError,
  RegistryReadError,
  TemplateOutputTooLargeError,
  TemplateReadError,
  TemplateSyntaxError,
  WaitTimeoutError,
} from "../render/run-errors.js";

type ErrorClass = abstract new (...args: never[]) => Error;

/** Each failure class and the code it (and every subclass) ends a command with. */
const EXIT_CODES: ReadonlyArray<readonly [ErrorClass, number]> = [
  [UsageError, EXIT_USAGE],
  [InvalidParameterError, EXIT_USAGE],
  [ExecReplaceUnsupportedError, EXIT_USAGE],
  [TemplateSyntaxError, EXIT_TEMPLATE],
  [TemplateOutputTooLargeError, EXIT_TEMPLATE],
  [MissingTemplateNameError, EXIT_TEMPLATE],
  [TemplateReadError, EXIT_NOINPUT],
  [UnknownServiceError, EXIT_NOINPUT],
  [BackendUnavailableError, EXIT_UNAVAILABLE],
  [RegistryReadError, EXIT_UNAVAILABLE],
  [ChildStartError, EXIT_OSERR],
  [ChildEnvTooLargeError, EXIT_OSERR],
  [OutputWriteError, EXIT_CANTCREAT],
  [WaitTimeoutError, EXIT_TEMPFAIL],
  [BackendAuthError, EXIT_CONFIG],
  [ConfigError, EXIT_CONFIG],
  [SpecError, EXIT_CONFIG],
];
const BY_NAME = new Map(EXIT_CODES.map(([cls, code]) => [cls.name, code]));

/** The exit code for `err`, or undefined for an error no command expects (a bug). */
export function exitCodeOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  for (let proto = Object.getPrototypeOf(err) as object | null; proto !== null && proto !== Error.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    const code = BY_NAME.get((proto as { constructor: { name: string } }).constructor.name);
    if (code !== undefined) return code;
  }
  return undefined;
}

/**
 * Prints a failure as `portolan COMMAND: message` and returns its exit code. Messages name variables, files and
 * flags, not values; whatever else they hold passes the process's redactor (writeStderr). An error no command
 * expects is a bug: printed as an internal error with its stack, EXIT_SOFTWARE.
 */
export function reportFailure(command: string, err: unknown): number {
  const code = exitCodeOf(err);
  if (code === undefined) {
    writeStderr(crashText(err));
    return EXIT_SOFTWARE;
  }
  const text = err instanceof ConfigError || err instanceof SpecError ? err.format() : (err as Error).message;
  writeStderr(`portolan ${command}: ${text}\n`);
  return code;
}
