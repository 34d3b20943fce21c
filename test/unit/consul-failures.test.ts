import { describe, expect, it } from "vitest";
import { ConsulRequestError } from "../../adapters/consul/errors.js";
import { translateFailure } from "../../adapters/consul/failures.js";
import { ConsulHttpStatusError } from "../../adapters/consul/http.js";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";

const TOKEN = "5ecre7-70ken";
const redact = (t: string) => t.split(TOKEN).join("[token]");
const status = (code: number, text: string) => new ConsulHttpStatusError(code, text);
const sys = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("translateFailure", () => {
  const cases: Array<{
    name: string;
    raw: unknown;
    tokenGiven?: boolean;
    cls: new (...a: never[]) => Error;
    permission?: string;
    says: string;
  }> = [
    {
      name: "anonymous_lacks_service_write",
      raw: status(403, `Permission denied: anonymous token lacks permission 'service:write' on "web". The anonymous token is used implicitly when a request does not specify a token.`),
      tokenGiven: false,
      cls: BackendAuthError,
      permission: "service:write",
      says: `no ACL token (CONSUL_HTTP_TOKEN is not set) and the anonymous token lacks permission 'service:write' on "web"`,
    },
    {
      name: "token_lacks_service_write",
      raw: status(403, `Permission denied: token with AccessorID '7025422a-5983-8173-b0b8-d4b0e5f9c937' lacks permission 'service:write' on "web"`),
      cls: BackendAuthError,
      permission: "service:write",
      says: `the ACL token (CONSUL_HTTP_TOKEN) lacks permission 'service:write' on "web"`,
    },
    { name: "unknown_token", raw: status(403, "ACL not found"), cls: BackendAuthError, says: "unknown to this Consul (ACL not found)" },
    { name: "no_token_acl_not_found", raw: status(403, "token does not exist: ACL not found"), tokenGiven: false, cls: BackendAuthError, says: "set CONSUL_HTTP_TOKEN" },
    { name: "bare_permission_denied", raw: status(403, "Permission denied"), cls: BackendAuthError, says: "permission denied: Permission denied" },
    { name: "plain_http_to_https_port", raw: status(400, "Client sent an HTTP request to an HTTPS server.\n"), cls: BackendAuthError, says: "use consul+https://" },
    { name: "bad_request", raw: status(400, `Request decode failed: time: invalid duration "x" (${TOKEN})`), cls: ConsulRequestError, says: "invalid duration" },
    { name: "not_found", raw: status(404, "Unknown service ID"), cls: ConsulRequestError, says: "Unknown service ID" },
    { name: "rate_limited", raw: status(429, "Your IP is issuing too many concurrent connections"), cls: BackendUnavailableError, says: "HTTP 429" },
    { name: "server_error", raw: status(500, `No cluster leader (${TOKEN})`), cls: BackendUnavailableError, says: "No cluster leader ([token])" },
    { name: "refused", raw: sys("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:8500"), cls: BackendUnavailableError, says: "ECONNREFUSED" },
    { name: "timeout", raw: sys("ETIMEDOUT", "no answer within 10 ms"), cls: BackendUnavailableError, says: "no answer" },
    { name: "client_certificate_required", raw: sys("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "alert 116"), cls: BackendAuthError, says: "requires a client certificate" },
    { name: "client_certificate_refused", raw: sys("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA", "alert 48"), cls: BackendAuthError, says: "does not accept our client certificate" },
    { name: "untrusted_agent", raw: sys("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"), cls: BackendAuthError, says: "CONSUL_CACERT" },
    { name: "self_signed_agent", raw: sys("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"), cls: BackendAuthError, says: "CONSUL_CACERT" },
    { name: "expired_agent_certificate", raw: sys("CERT_HAS_EXPIRED", "certificate has expired"), cls: BackendAuthError, says: "expired" },
    { name: "agent_certificate_for_another_host", raw: sys("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match"), cls: BackendAuthError, says: "does not name the host" },
    { name: "https_to_plain_port", raw: sys("EPROTO", "SSL routines:ssl3_get_record:wrong version number"), cls: BackendAuthError, says: "use consul://" },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, () => {
      const err = translateFailure(c.raw, { operation: "register", serviceId: "h:web-1:80", tokenGiven: c.tokenGiven ?? true, redact });
      expect(err).toBeInstanceOf(c.cls);
      expect(err.message).toContain(c.says);
      expect(err.message).toContain(`register "h:web-1:80"`);
      if (err instanceof BackendAuthError) expect(err.permission).toBe(c.permission);
      const everything = `${err.message} ${String(err.cause)} ${JSON.stringify(err)}`;
      expect(everything).not.toContain(TOKEN);
    });
  }
});
