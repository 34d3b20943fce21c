// One case per rule of the "Checks" paragraph of docs/registrator.md: which checks a service gets from SERVICE_CHECK_* and --ttl.
import { describe, it } from "vitest";
import type { Check } from "../../src/core/model.js";
import { env, fakeInspect, labels, ports } from "./fixtures/container.js";
import { runMappingCase, type MappingCase } from "./fixtures/mapping-cases.js";

const ONE = ports({ "80/tcp": [["127.0.0.1", "8080"]] });
const WEB = ports({ "80/tcp": [["127.0.0.1", "8080"]], "443/tcp": [["127.0.0.1", "8443"]] });
const http: Check = { type: "http", target: "http://127.0.0.1:8080/h", intervalMs: 10_000 };
const https: Check = { type: "https", target: "https://127.0.0.1:8080/s", intervalMs: 10_000 };
const tcp: Check = { type: "tcp", target: "127.0.0.1:8080", intervalMs: 10_000 };

const cases: MappingCase[] = [
  // every declared check is registered, none is dropped
  { name: "tcp_and_ttl_both", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "true", SERVICE_CHECK_TTL: "20s" })), want: [{ checks: [tcp, { type: "ttl", intervalMs: 20_000 }] }] },
  { name: "http_and_tcp_both", info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTP: "/h", SERVICE_CHECK_TCP: "1" })), want: [{ checks: [http, tcp] }] },
  // order: http, https, tcp, ttl, then --ttl (check n of a service is always the same kind)
  {
    name: "all_four_in_order_then_ttl_option",
    info: fakeInspect(ONE, labels({ SERVICE_CHECK_TTL: "30s", SERVICE_CHECK_TCP: "1", SERVICE_CHECK_HTTPS: "/s", SERVICE_CHECK_HTTP: "/h" })),
    opts: { ttlMs: 60_000 },
    want: [{ checks: [http, https, tcp, { type: "ttl", intervalMs: 30_000 }, { type: "ttl", intervalMs: 60_000 }] }],
  },
  // interval and timeout go to the probing checks only
  {
    name: "interval_timeout_on_probes_not_ttl",
    info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_TTL: "20s", SERVICE_CHECK_INTERVAL: "5s", SERVICE_CHECK_TIMEOUT: "2s" })),
    want: [{ checks: [{ ...tcp, intervalMs: 5_000, timeoutMs: 2_000 }, { type: "ttl", intervalMs: 20_000 }] }],
  },
  // initial status and deregister-after go to every declared check, not to the --ttl one
  {
    name: "initial_status_deregister_on_every_declared_check",
    info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_TTL: "20s", SERVICE_CHECK_INITIAL_STATUS: "warning", SERVICE_CHECK_DEREGISTER_AFTER: "2m" })),
    opts: { ttlMs: 30_000 },
    want: [
      {
        checks: [
          { ...tcp, initialStatus: "warning", deregisterAfterMs: 120_000 },
          { type: "ttl", intervalMs: 20_000, initialStatus: "warning", deregisterAfterMs: 120_000 },
          { type: "ttl", intervalMs: 30_000 },
        ],
      },
    ],
  },
  // TLS skip-verify goes to HTTP(S) checks only
  {
    name: "tls_skip_verify_on_http_only",
    info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTPS: "/s", SERVICE_CHECK_TCP: "1", SERVICE_CHECK_TLS_SKIP_VERIFY: "1" })),
    want: [{ checks: [{ ...https, tlsSkipVerify: true }, tcp] }],
  },
  // a port-specific key adds to (or, for booleans, switches off) the container-wide ones for that port only
  {
    name: "port_specific_adds_to_global",
    info: fakeInspect(WEB, env({ SERVICE_CHECK_TTL: "20s", SERVICE_443_CHECK_TCP: "1" })),
    want: [{ checks: [{ type: "ttl", intervalMs: 20_000 }] }, { checks: [{ ...tcp, target: "127.0.0.1:8443" }, { type: "ttl", intervalMs: 20_000 }] }],
  },
  { name: "port_specific_tcp_false_switches_off", info: fakeInspect(WEB, env({ SERVICE_CHECK_TCP: "1", SERVICE_80_CHECK_TCP: "0" })), want: [{ checks: [] }, { checks: [{ ...tcp, target: "127.0.0.1:8443" }] }] },
  // one bad check rejects the service (naming its key), whatever the others
  { name: "bad_tcp_beside_good_ttl_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "yes", SERVICE_CHECK_TTL: "20s" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TCP"]] },
  { name: "bad_ttl_beside_good_http_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTP: "/h", SERVICE_CHECK_TTL: "soon" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TTL"]] },
  // a setting only a TTL check would ignore is not validated
  { name: "interval_unused_by_ttl_not_validated", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: "20s", SERVICE_CHECK_INTERVAL: "bogus" })), want: [{ checks: [{ type: "ttl", intervalMs: 20_000 }] }] },
  // hostile durations and text
  { name: "negative_ttl_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: "-5s" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TTL"]] },
  { name: "zero_interval_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_INTERVAL: "0s" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_INTERVAL"]] },
  { name: "rounds_to_zero_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_TIMEOUT: "0.0001ms" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TIMEOUT"]] },
  { name: "huge_ttl_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: `${"9".repeat(400)}h` })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TTL"]] },
  { name: "ttl_365_days_ok", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: "8760h" })), want: [{ checks: [{ type: "ttl", intervalMs: 365 * 24 * 3_600_000 }] }] },
  { name: "nul_in_ttl_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: "20s\u0000" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TTL"]] },
  { name: "nul_in_path_rejected", info: fakeInspect(ONE, labels({ SERVICE_CHECK_HTTP: "/h\u0000x" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_HTTP"]] },
  // a check path is a path on the service's own address: it cannot name another host
  { name: "absolute_url_path_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTP: "http://10.0.0.9:80/h" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_HTTP"]] },
  { name: "authority_like_path_stays_on_own_address", info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTP: "//10.0.0.9/h" })), want: [{ checks: [{ ...http, target: "http://127.0.0.1:8080//10.0.0.9/h" }] }] },
];

describe("docs/registrator.md check rules", () => {
  cases.forEach((c, i) => it(`${i}_${c.name}`, () => void runMappingCase(c)));
});
