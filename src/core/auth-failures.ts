// Credentials refused while running (a token revoked, a policy narrowed): one loud log line when an operation
// starts being refused, one when everything is accepted again, and a counter for metrics. Adapters call
// failed()/succeeded() around every request; retrying stays with the callers.
import type { BackendAuthError } from "./errors.js";
import type { Logger } from "./log.js";

export class AuthFailures {
  private total = 0;
  /** Operation ("register", "catalog services", …) -> what is refused (the permission, else the message). */
  private readonly refused = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /** Requests refused for credentials since start (a monotonic counter for metrics). */
  get count(): number {
    return this.total;
  }

  /** True while some operation's last attempt was refused. */
  get failing(): boolean {
    return this.refused.size > 0;
  }

  failed(operation: string, err: BackendAuthError): void {
    this.total++;
    // A missing permission is per operation; an unknown token or a TLS refusal hits every operation alike.
    const key = err.permission !== undefined ? operation : "*";
    const what = err.permission ?? "credentials";
    if (this.refused.get(key) === what) return;
    this.refused.set(key, what);
    this.logger.error(
      { backend: err.backend, operation, permission: err.permission, authFailures: this.total },
      `${err.message} — ${key === "*" ? "every request" : operation} fails until the credentials are fixed; retrying`,
    );
  }

  succeeded(operation: string): void {
    const hadOp = this.refused.delete(operation);
    const had = this.refused.delete("*") || hadOp;
    if (!had || this.refused.size > 0) return;
    this.logger.warn({ authFailures: this.total }, "credentials accepted again");
  }
}
