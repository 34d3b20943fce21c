// Pure: a failed request to a Consul agent -> the Registry port's error classes (src/core/errors.ts).
//   HTTP 403 ("Permission denied: … lacks permission 'service:write' on "web"", "ACL not found")  -> BackendAuthError
//   TLS trust/certificate failures, HTTPS to a plain port and plain HTTP to an HTTPS port          -> BackendAuthError
//   other 4xx                                                                                       -> ConsulRequestError
//   5xx, 429 (the agent's rate limit), unreachable, timeout                                         -> BackendUnavailableError
// Texts are passed through `redact` (the token never reaches a message or a cause).
import { httpSaid, isRequestFault, PLAIN_TO_TLS_PORT, transportFailure, type TlsSettings } from "../../src/core/backend-failures.js";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import { ConsulRequestError } from "./errors.js";
import { ConsulHttpStatusError } from "./http.js";

export interface FailureContext {
  operation: string;
  serviceId: string;
  /** Whether a token was sent (the messages say what to fix). */
  tokenGiven: boolean;
  redact: (text: string) => string;
}

/** A plain-HTTP agent port answering a TLS client hello: "wrong version number". */
const TLS: TlsSettings = { server: "the agent", ca: "CONSUL_CACERT", cert: "CONSUL_CLIENT_CERT", key: "CONSUL_CLIENT_KEY", plainScheme: "consul://", notTls: /wrong version number/ };

export function translateFailure(raw: unknown, ctx: FailureContext): Error {
  const { operation, serviceId } = ctx;
  const where = serviceId ? `${operation} ${JSON.stringify(serviceId)}` : operation;
  if (raw instanceof ConsulHttpStatusError) {
    const { said, cause } = httpSaid(raw.status, raw.text, ctx.redact);
    if (raw.status === 403) return aclError(where, said, ctx.tokenGiven, cause);
    if (raw.status === 400 && PLAIN_TO_TLS_PORT.test(said)) {
      return new BackendAuthError({ backend: "consul", message: `${where}: the agent serves HTTPS on this port: use consul+https://`, cause });
    }
    if (isRequestFault(raw.status)) return new ConsulRequestError({ serviceId, operation, status: raw.status, consulMessage: said });
    return new BackendUnavailableError({ backend: "consul", message: `${where}: HTTP ${raw.status}: ${said}`, status: raw.status });
  }
  return transportFailure(raw, { backend: "consul", where, redact: ctx.redact, tls: TLS });
}

/** Consul's 403 bodies name the missing permission ("lacks permission 'service:write' on "web"") or say "ACL not found". */
function aclError(where: string, said: string, tokenGiven: boolean, cause: Error): BackendAuthError {
  const permission = /lacks permission '([^']+)'/.exec(said)?.[1];
  const target = /lacks permission '[^']+' on ("[^"]*")/.exec(said)?.[1];
  let message: string;
  if (/ACL not found/i.test(said)) {
    message = tokenGiven
      ? "the ACL token (CONSUL_HTTP_TOKEN) is unknown to this Consul (ACL not found): revoked, expired, or of another cluster"
      : "this Consul refuses requests without an ACL token (ACL not found); set CONSUL_HTTP_TOKEN";
  } else if (permission) {
    const on = target ? ` on ${target}` : "";
    message = tokenGiven
      ? `the ACL token (CONSUL_HTTP_TOKEN) lacks permission '${permission}'${on}`
      : `no ACL token (CONSUL_HTTP_TOKEN is not set) and the anonymous token lacks permission '${permission}'${on}`;
  } else {
    message = `permission denied: ${said}`;
  }
  return new BackendAuthError({ backend: "consul", message: `${where}: ${message}`, ...(permission && { permission }), cause });
}
