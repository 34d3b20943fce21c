// One class per failure; tests assert the class, never the message text.

export class PortolanError extends Error {
  override name = "PortolanError";
}

/** The backend could not be reached or refused the operation; callers retry with backoff. */
export class BackendUnavailableError extends PortolanError {
  override name = "BackendUnavailableError";
  readonly backend: string;
  constructor(opts: { backend: string; message: string; cause?: unknown }) {
    super(`${opts.backend}: ${opts.message}`, { cause: opts.cause });
    this.backend = opts.backend;
  }
}

/** EX_USAGE (sysexits): bad flags or arguments, for every command. */
export const EXIT_USAGE = 64;

/** Bad command-line usage: exit code EXIT_USAGE. */
export class UsageError extends PortolanError {
  override name = "UsageError";
}

/** A registry URI that names no backend or is malformed (a usage error). */
export class RegistryUriError extends UsageError {
  override name = "RegistryUriError";
  readonly uri: string;
  constructor(opts: { uri: string; message: string }) {
    super(`registry URI ${JSON.stringify(opts.uri)}: ${opts.message}`);
    this.uri = opts.uri;
  }
}
