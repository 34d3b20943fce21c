// One class per failure; tests assert the class, never the message text.

export class PortolanError extends Error {
  override name = "PortolanError";
}

/** The backend could not be reached or refused the operation; callers retry with backoff. */
export class BackendUnavailableError extends PortolanError {
  override name = "BackendUnavailableError";
  readonly backend: string;
  /** The HTTP status the backend answered with, when it answered (429: it limits this client; 5xx: it is failing). */
  readonly status: number | undefined;
  constructor(opts: { backend: string; message: string; cause?: unknown; status?: number }) {
    super(`${opts.backend}: ${opts.message}`, { cause: opts.cause });
    this.backend = opts.backend;
    this.status = opts.status;
  }
}

/** Bad command-line usage (EXIT_USAGE; every failure's exit code is in src/cli/exit.ts). */
export class UsageError extends PortolanError {
  override name = "UsageError";
}

/** A bad flag value: a usage error that names the flag (without its dashes). */
export class FlagError extends UsageError {
  override name = "FlagError";
  readonly flag: string;
  constructor(flag: string, message: string) {
    super(`--${flag}: ${message}`);
    this.flag = flag;
  }
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

// ---- The Registry port's error contract (DESIGN.md "The Registry port") ----
// Every adapter method fails with exactly one of these kinds, so callers never guess:
//   InstanceRejectedError  permanent: this instance is invalid for this backend. Reject once, log once, never retry.
//   BackendAuthError       configuration: the backend refuses our credentials (missing/unknown/insufficient token).
//                          At start-up a configuration error (EXIT_CONFIG); later a loud log line + metric, retried.
//   BackendUnavailableError transient: unreachable, timeout, 5xx. Retried with backoff and jitter.

/** Permanent: the backend can never accept this instance as it is (limits, reserved keys, ID taken by another owner). */
export class InstanceRejectedError extends PortolanError {
  override name = "InstanceRejectedError";
  readonly backend: string;
  readonly instanceId: string;
  /** The metadata key or field at fault (`SERVICE_TAGS`, `meta.version`, `id`), when one is. */
  readonly key: string | undefined;
  readonly reason: string;
  constructor(opts: { backend: string; instanceId: string; key?: string; reason: string; cause?: unknown }) {
    super(`${opts.backend}: instance ${JSON.stringify(opts.instanceId)}${opts.key ? ` ${opts.key}` : ""}: ${opts.reason}`, { cause: opts.cause });
    this.backend = opts.backend;
    this.instanceId = opts.instanceId;
    this.key = opts.key;
    this.reason = opts.reason;
  }
}

/**
 * Marks a BackendAuthError of any copy of this module: the render/exec bundle (dist/src/cli/start.cjs) inlines its
 * own copy, while the adapters it loads import this one, so a plain `instanceof` across them is false.
 */
const AUTH_BRAND = Symbol.for("portolan.BackendAuthError");

/** Configuration: the backend refuses our credentials; `permission` names what is missing when the backend says. */
export class BackendAuthError extends PortolanError {
  override name = "BackendAuthError";
  readonly backend: string;
  readonly permission: string | undefined;
  constructor(opts: { backend: string; message: string; permission?: string; cause?: unknown }) {
    super(`${opts.backend}: ${opts.message}`, { cause: opts.cause });
    this.backend = opts.backend;
    this.permission = opts.permission;
    Object.defineProperty(this, AUTH_BRAND, { value: true });
  }

  /** `x instanceof BackendAuthError` holds for one thrown by another copy of this module (subclasses: as usual). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    if (this !== BackendAuthError) return Function.prototype[Symbol.hasInstance].call(this, x);
    return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[AUTH_BRAND] === true;
  }
}

/** A server could not listen where it was told (address taken, not permitted, not on this host): change the flag. */
export class ListenError extends UsageError {
  override name = "ListenError";
  readonly address: string;
  readonly code: string | undefined;
  constructor(opts: { flag: string; address: string; cause: unknown }) {
    const code = (opts.cause as NodeJS.ErrnoException | undefined)?.code;
    super(`${opts.flag} ${opts.address}: cannot listen (${code ?? String(opts.cause)})`, { cause: opts.cause });
    this.address = opts.address;
    this.code = code;
  }
}

/** An error as one log field: "Name: message" (no stack; logs carry errors as text, see core/small-pino.ts). */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
