// Pure: a failed request to etcd's JSON gateway -> the Registry port's error classes (src/core/errors.ts).
//   authentication failed (a wrong user or password), user name is empty (auth on, no user), permission denied,
//   an invalid token after a fresh one was asked for                                            -> BackendAuthError
//   TLS trust/certificate failures, https to a plain port and http to a TLS one, a client certificate with a
//   CommonName (the gateway refuses those while client certificates are required)                -> BackendAuthError
//   other 4xx                                                                                      -> EtcdRequestError
//   5xx, 429, Unavailable, unreachable, timeout                                                    -> BackendUnavailableError
// Texts are passed through `redact` (the password and token never reach a message or a cause).
import { httpSaid, isRequestFault, PLAIN_TO_TLS_PORT, transportFailure, type TlsSettings } from "../../src/core/backend-failures.js";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import { EtcdRequestError } from "./errors.js";
import { EtcdHttpError } from "./gateway.js";

export interface FailureContext {
  operation: string;
  /** The user name given (ETCDCTL_USER), undefined without one. */
  user: string | undefined;
  /** The key range the adapter works in, named in permission messages. */
  base: string;
  redact: (text: string) => string;
}

/** A TLS client on a plain port: "wrong version number", or "packet length too long" when etcd answers with HTTP. */
const TLS: TlsSettings = { server: "etcd", ca: "ETCDCTL_CACERT", cert: "ETCDCTL_CERT", key: "ETCDCTL_KEY", plainScheme: "etcd://", notTls: /wrong version number|packet length too long/ };
/** etcd's gateway, client certificates required, refusing a certificate with a CommonName. */
const CN_REFUSED = /CommonName of client sending a request against gateway/;

export function translateFailure(raw: unknown, ctx: FailureContext): Error {
  const where = ctx.operation;
  if (!(raw instanceof EtcdHttpError)) return transportFailure(raw, { backend: "etcd", where, redact: ctx.redact, tls: TLS });
  const auth = (message: string, cause: Error, permission?: string) =>
    new BackendAuthError({ backend: "etcd", message: `${where}: ${message}`, ...(permission && { permission }), cause });
  const { said, cause } = httpSaid(raw.status, raw.text, ctx.redact);
  const who = ctx.user !== undefined ? `user ${JSON.stringify(ctx.user)} (ETCDCTL_USER)` : "no user (ETCDCTL_USER is not set)";
  if (/authentication failed/.test(said)) return auth(`etcd refused the credentials of ${who}: invalid user name or password (ETCDCTL_USER, ETCDCTL_PASSWORD)`, cause);
  if (/user name is empty/.test(said)) return auth("etcd has authentication enabled and no user is set (ETCDCTL_USER, ETCDCTL_PASSWORD)", cause);
  if (raw.code === 7 || /permission denied/.test(said)) return auth(`${who} lacks permission (role readwrite on the prefix ${ctx.base} needed to register, read to watch)`, cause, "readwrite");
  if (raw.code === 16) return auth(`etcd does not accept the auth token of ${who} (${said})`, cause);
  if (raw.status === 400 && PLAIN_TO_TLS_PORT.test(said)) return auth("etcd serves HTTPS on this port: use etcd+https://", cause);
  if (raw.status === 400 && CN_REFUSED.test(said)) {
    return auth("etcd's JSON gateway refuses client certificates that carry a CommonName while it requires client certificates; use one without a CN (subject alternative names only) and a user (ETCDCTL_USER)", cause);
  }
  if (isRequestFault(raw.status)) return new EtcdRequestError(where, raw.status, said);
  return new BackendUnavailableError({ backend: "etcd", message: `${where} (${raw.endpoint}): HTTP ${raw.status}: ${said}`, cause });
}
