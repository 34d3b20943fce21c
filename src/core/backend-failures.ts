// Pure: what the HTTP backends (Consul's agent API, etcd's JSON gateway) share in mapping a failed request to the
// Registry port's error classes: TLS and scheme mistakes are configuration (BackendAuthError), any other network
// failure is transient (BackendUnavailableError), a 4xx other than 429 is the request's own fault. Each adapter's
// failures.ts keeps what its server says (ACL and permission texts) and words the fix with its own settings.
import { BackendAuthError, BackendUnavailableError } from "./errors.js";

/** Who answers and which settings fix a TLS mistake, e.g. "the agent" with CONSUL_CACERT / CONSUL_CLIENT_CERT / CONSUL_CLIENT_KEY. */
export interface TlsSettings {
  /** "the agent", "etcd": the subject of every sentence. */
  server: string;
  ca: string;
  cert: string;
  key: string;
  /** The plain scheme to use when the port does not speak TLS ("consul://"). */
  plainScheme: string;
  /** A TLS client talking to a plain port, as the TLS library words it. */
  notTls: RegExp;
}

/** Go's net/http answering plain HTTP on a TLS port (with a 400). */
export const PLAIN_TO_TLS_PORT = /Client sent an HTTP request to an HTTPS server/;

/** An HTTP status the backend gives for this request alone (retrying it as it is cannot help). */
export function isRequestFault(status: number): boolean {
  return status >= 400 && status < 500 && status !== 429;
}

/** An HTTP failure's body as a message may show it: trimmed, cut at 1000 characters, secrets masked; and a cause for it. */
export function httpSaid(status: number, text: string, redact: (text: string) => string): { said: string; cause: Error } {
  const said = redact(text.trim().slice(0, 1000));
  return { said, cause: new Error(`HTTP ${status}: ${said}`) };
}

/** TLS failures that mean "our certificates, trust settings or scheme are wrong", not "try again later". */
function tlsProblem(code: string, message: string, s: TlsSettings): string | undefined {
  const whose = `${s.server}'s`;
  const table: Array<[RegExp, string]> = [
    [/^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/, `${s.server} requires a client certificate (${s.cert}, ${s.key})`],
    [/^ERR_SSL_(SSLV3_ALERT_BAD_CERTIFICATE|TLSV1_ALERT_UNKNOWN_CA)$/, `${s.server} does not accept our client certificate (${s.cert})`],
    [/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/, `${whose} certificate is not signed by a CA we trust (${s.ca})`],
    [/^(CERT_HAS_EXPIRED|CERT_NOT_YET_VALID)$/, `${whose} certificate is expired or not yet valid`],
    [/^ERR_TLS_CERT_ALTNAME_INVALID$/, `${whose} certificate does not name the host of the registry URI`],
  ];
  return table.find(([re]) => re.test(code))?.[1] ?? (s.notTls.test(message) ? `${s.server} does not serve HTTPS on this port: use ${s.plainScheme}` : undefined);
}

/**
 * A request that got no HTTP answer (`raw`: the network error): a TLS or scheme mistake is a BackendAuthError
 * naming what to fix, anything else a BackendUnavailableError. The cause keeps the message (masked) and code only.
 */
export function transportFailure(raw: unknown, o: { backend: string; where: string; redact: (text: string) => string; tls: TlsSettings }): Error {
  const e = raw as NodeJS.ErrnoException | undefined;
  const cause = Object.assign(new Error(o.redact(e?.message ?? String(raw))), { code: e?.code });
  const tls = tlsProblem(e?.code ?? "", cause.message, o.tls);
  if (tls) return new BackendAuthError({ backend: o.backend, message: `${o.where}: TLS: ${tls} (${e?.code ?? "EPROTO"})`, cause });
  return new BackendUnavailableError({ backend: o.backend, message: `${o.where}: ${cause.message}`, cause });
}
