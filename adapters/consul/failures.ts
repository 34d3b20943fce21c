// Pure: a failed request to a Consul agent -> the Registry port's error classes (src/core/errors.ts).
//   HTTP 403 ("Permission denied: … lacks permission 'service:write' on "web"", "ACL not found")  -> BackendAuthError
//   TLS trust/certificate failures, HTTPS to a plain port and plain HTTP to an HTTPS port          -> BackendAuthError
//   other 4xx                                                                                       -> ConsulRequestError
//   5xx, 429 (the agent's rate limit), unreachable, timeout                                         -> BackendUnavailableError
// Texts are passed through `redact` (the token never reaches a message or a cause).
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

/** TLS failures that mean "our certificates, trust settings or scheme are wrong", not "try again later". */
const TLS_CONFIG_ERRORS: Array<[RegExp, string]> = [
  [/^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/, "the agent requires a client certificate (CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY)"],
  [/^ERR_SSL_(SSLV3_ALERT_BAD_CERTIFICATE|TLSV1_ALERT_UNKNOWN_CA)$/, "the agent does not accept our client certificate (CONSUL_CLIENT_CERT)"],
  [/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/, "the agent's certificate is not signed by a CA we trust (CONSUL_CACERT)"],
  [/^(CERT_HAS_EXPIRED|CERT_NOT_YET_VALID)$/, "the agent's certificate is expired or not yet valid"],
  [/^ERR_TLS_CERT_ALTNAME_INVALID$/, "the agent's certificate does not name the host of the registry URI"],
];
/** A plain-HTTP agent port answering a TLS client hello ("wrong version number"). */
const NOT_TLS = /wrong version number/;
/** An HTTPS agent port answering a plain-HTTP request (Go's net/http says this with a 400). */
const NOT_PLAIN = /Client sent an HTTP request to an HTTPS server/;

export function translateFailure(raw: unknown, ctx: FailureContext): Error {
  const { operation, serviceId } = ctx;
  const where = serviceId ? `${operation} ${JSON.stringify(serviceId)}` : operation;
  if (raw instanceof ConsulHttpStatusError) {
    const said = ctx.redact(raw.text.trim().slice(0, 1000));
    const cause = new Error(`HTTP ${raw.status}: ${said}`);
    if (raw.status === 403) return aclError(where, said, ctx.tokenGiven, cause);
    if (raw.status === 400 && NOT_PLAIN.test(said)) {
      return new BackendAuthError({ backend: "consul", message: `${where}: the agent serves HTTPS on this port: use consul+https://`, cause });
    }
    if (raw.status >= 400 && raw.status < 500 && raw.status !== 429) {
      return new ConsulRequestError({ serviceId, operation, status: raw.status, consulMessage: said });
    }
    return new BackendUnavailableError({ backend: "consul", message: `${where}: HTTP ${raw.status}: ${said}` });
  }
  const e = raw as NodeJS.ErrnoException;
  // The cause keeps the message and code only.
  const cause = Object.assign(new Error(ctx.redact(e.message ?? String(raw))), { code: e.code });
  const tls =
    TLS_CONFIG_ERRORS.find(([code]) => code.test(e.code ?? ""))?.[1] ??
    (NOT_TLS.test(cause.message) ? "the agent does not serve HTTPS on this port: use consul://" : undefined);
  if (tls) return new BackendAuthError({ backend: "consul", message: `${where}: TLS: ${tls} (${e.code ?? "EPROTO"})`, cause });
  return new BackendUnavailableError({ backend: "consul", message: `${where}: ${cause.message}`, cause });
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
