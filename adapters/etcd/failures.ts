// Pure: a failed request to etcd's JSON gateway -> the Registry port's error classes (src/core/errors.ts).
//   authentication failed (a wrong user or password), user name is empty (auth on, no user), permission denied,
//   an invalid token after a fresh one was asked for                                            -> BackendAuthError
//   TLS trust/certificate failures, https to a plain port and http to a TLS one, a client certificate with a
//   CommonName (the gateway refuses those while client certificates are required)                -> BackendAuthError
//   other 4xx                                                                                      -> EtcdRequestError
//   5xx, 429, Unavailable, unreachable, timeout                                                    -> BackendUnavailableError
// Texts are passed through `redact` (the password and token never reach a message or a cause).
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

const TLS_PROBLEMS: Array<[RegExp, string]> = [
  [/^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/, "etcd requires a client certificate (ETCDCTL_CERT, ETCDCTL_KEY)"],
  [/^ERR_SSL_(SSLV3_ALERT_BAD_CERTIFICATE|TLSV1_ALERT_UNKNOWN_CA)$/, "etcd does not accept our client certificate (ETCDCTL_CERT)"],
  [/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/, "etcd's certificate is not signed by a CA we trust (ETCDCTL_CACERT)"],
  [/^(CERT_HAS_EXPIRED|CERT_NOT_YET_VALID)$/, "etcd's certificate is expired or not yet valid"],
  [/^ERR_TLS_CERT_ALTNAME_INVALID$/, "etcd's certificate does not name the host of the registry URI"],
];
const NOT_TLS = /wrong version number|packet length too long/;
/** Go's net/http answering plain HTTP on a TLS port. */
const NOT_PLAIN = /Client sent an HTTP request to an HTTPS server/;
/** etcd's gateway, client certificates required, refusing a certificate with a CommonName. */
const CN_REFUSED = /CommonName of client sending a request against gateway/;

export function translateFailure(raw: unknown, ctx: FailureContext): Error {
  const where = ctx.operation;
  const auth = (message: string, cause: Error, permission?: string) =>
    new BackendAuthError({ backend: "etcd", message: `${where}: ${message}`, ...(permission && { permission }), cause });
  if (raw instanceof EtcdHttpError) {
    const said = ctx.redact(raw.text.trim().slice(0, 1000));
    const cause = new Error(`HTTP ${raw.status}: ${said}`);
    const who = ctx.user !== undefined ? `user ${JSON.stringify(ctx.user)} (ETCDCTL_USER)` : "no user (ETCDCTL_USER is not set)";
    if (/authentication failed/.test(said)) return auth(`etcd refused the credentials of ${who}: invalid user name or password (ETCDCTL_USER, ETCDCTL_PASSWORD)`, cause);
    if (/user name is empty/.test(said)) return auth("etcd has authentication enabled and no user is set (ETCDCTL_USER, ETCDCTL_PASSWORD)", cause);
    if (raw.code === 7 || /permission denied/.test(said)) return auth(`${who} lacks permission (role readwrite on the prefix ${ctx.base} needed to register, read to watch)`, cause, "readwrite");
    if (raw.code === 16) return auth(`etcd does not accept the auth token of ${who} (${said})`, cause);
    if (raw.status === 400 && NOT_PLAIN.test(said)) return auth("etcd serves HTTPS on this port: use etcd+https://", cause);
    if (raw.status === 400 && CN_REFUSED.test(said)) {
      return auth("etcd's JSON gateway refuses client certificates that carry a CommonName while it requires client certificates; use one without a CN (subject alternative names only) and a user (ETCDCTL_USER)", cause);
    }
    if (raw.status >= 400 && raw.status < 500 && raw.status !== 429) {
      return new EtcdRequestError(where, raw.status, said);
    }
    return new BackendUnavailableError({ backend: "etcd", message: `${where} (${raw.endpoint}): HTTP ${raw.status}: ${said}`, cause });
  }
  const e = raw as NodeJS.ErrnoException;
  const cause = Object.assign(new Error(ctx.redact(e?.message ?? String(raw))), { code: e?.code });
  const tls = TLS_PROBLEMS.find(([code]) => code.test(e?.code ?? ""))?.[1] ?? (NOT_TLS.test(cause.message) ? "etcd does not serve HTTPS on this port: use etcd://" : undefined);
  if (tls) return auth(`TLS: ${tls} (${e.code ?? "EPROTO"})`, cause);
  return new BackendUnavailableError({ backend: "etcd", message: `${where}: ${cause.message}`, cause });
}
