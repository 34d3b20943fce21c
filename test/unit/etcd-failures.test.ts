import { describe, expect, it } from "vitest";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import { EtcdRequestError } from "../../adapters/etcd/errors.js";
import { translateFailure } from "../../adapters/etcd/failures.js";
import { EtcdHttpError, isFailover } from "../../adapters/etcd/gateway.js";

const ctx = { operation: "register", user: "portolan", base: "/skydns/consul/service/", redact: (t: string) => t.split("hunter22").join("[password]") };
const http = (status: number, code: number, text: string) => new EtcdHttpError(status, code, text, "127.0.0.1:2379");
const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

const cases: [string, unknown, new (...a: never[]) => Error, RegExp][] = [
  ["wrong password", http(400, 3, "etcdserver: authentication failed, invalid user ID or password"), BackendAuthError, /ETCDCTL_PASSWORD/],
  ["auth on, no user", http(400, 3, "etcdserver: user name is empty"), BackendAuthError, /ETCDCTL_USER/],
  ["permission denied", http(403, 7, "etcdserver: permission denied"), BackendAuthError, /readwrite on the prefix \/skydns\/consul\/service\//],
  ["token refused again", http(401, 16, "etcdserver: invalid auth token"), BackendAuthError, /auth token/],
  ["CN certificate through the gateway", http(400, 0, "CommonName of client sending a request against gateway will be ignored and not used as expected"), BackendAuthError, /without a CN/],
  ["plain HTTP to TLS", http(400, 0, "Client sent an HTTP request to an HTTPS server."), BackendAuthError, /etcd\+https/],
  ["TLS to plain", errno("EPROTO", "write EPROTO ... wrong version number"), BackendAuthError, /use etcd:\/\//],
  ["unknown CA", errno("SELF_SIGNED_CERT_IN_CHAIN"), BackendAuthError, /ETCDCTL_CACERT/],
  ["client cert required", errno("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"), BackendAuthError, /ETCDCTL_CERT/],
  ["lease not found", http(404, 5, "etcdserver: requested lease not found"), EtcdRequestError, /lease not found/],
  ["no leader", http(503, 14, "etcdserver: no leader"), BackendUnavailableError, /no leader/],
  ["refused connection", errno("ECONNREFUSED"), BackendUnavailableError, /ECONNREFUSED/],
  ["password echoed back is masked", http(500, 2, "boom hunter22"), BackendUnavailableError, /\[password\]/],
];

describe("translateFailure", () => {
  cases.forEach(([name, raw, cls, re], i) => {
    it(`${i}_${name}`, () => {
      const err = translateFailure(raw, ctx);
      expect(err).toBeInstanceOf(cls);
      expect(err.message).toMatch(re);
      expect(err.message).not.toContain("hunter22");
    });
  });
});

describe("isFailover: which failures move to the next endpoint", () => {
  const table: [string, unknown, boolean][] = [
    ["connection refused", errno("ECONNREFUSED"), true],
    ["reset", errno("ECONNRESET"), true],
    ["no leader (503)", http(503, 14, "etcdserver: no leader"), true],
    ["permission denied", http(403, 7, "etcdserver: permission denied"), false],
    ["TLS trust", errno("SELF_SIGNED_CERT_IN_CHAIN"), false],
  ];
  table.forEach(([name, err, want], i) => {
    it(`${i}_${name}`, () => expect(isFailover(err)).toBe(want));
  });
});
