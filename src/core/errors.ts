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

/** A registry URI that names no backend or is malformed. */
export class RegistryUriError extends PortolanError {
  override name = "RegistryUriError";
  readonly uri: string;
  constructor(opts: { uri: string; message: string }) {
    super(`registry URI ${JSON.stringify(opts.uri)}: ${opts.message}`);
    this.uri = opts.uri;
  }
}

/** Container metadata that cannot become a service; the service is skipped, others of the container go on. */
export class MetadataError extends PortolanError {
  override name = "MetadataError";
  readonly container: string;
  readonly key: string;
  constructor(opts: { container: string; key: string; message: string }) {
    super(`container ${opts.container}: ${opts.key}: ${opts.message}`);
    this.container = opts.container;
    this.key = opts.key;
  }
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends PortolanError {
  override name = "UsageError";
}
