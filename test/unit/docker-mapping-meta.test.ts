// containerToServices: tags, metadata, checks, ignore/explicit, container state and health. Pure.
import { describe, expect, it } from "vitest";
import { env, fakeInspect, health, labels, ports } from "./fixtures/container.js";
import { mapWith, runMappingCase, type MappingCase } from "./fixtures/mapping-cases.js";

const ONE = ports({ "80/tcp": [["0.0.0.0", "8080"]] });
const WEB = ports({ "80/tcp": [["0.0.0.0", "8080"]], "443/tcp": [["0.0.0.0", "8443"]] });
const V6 = { NetworkSettings: { Networks: { bridge: endpointV6() } } };

function endpointV6() {
  return { IPAddress: "", GlobalIPv6Address: "fd00::2", GlobalIPv6PrefixLen: 64 };
}

const cases: MappingCase[] = [
  // tags
  {
    name: "tags_escaped_comma_dedup_order",
    info: fakeInspect(ONE, env({ SERVICE_TAGS: "a,b\\,c, a,,prod" })),
    opts: { tags: ["prod", "z"] },
    want: [{ tags: ["a", "b,c", "prod", "z"] }],
  },
  { name: "tags_option_only", info: fakeInspect(ONE), opts: { tags: ["blue", " ", "blue"] }, want: [{ tags: ["blue"] }] },
  { name: "tags_port_specific", info: fakeInspect(WEB, env({ SERVICE_TAGS: "g", SERVICE_443_TAGS: "tls" })), want: [{ tags: ["g"] }, { tags: ["tls"] }] },
  { name: "tag_too_long_rejected", info: fakeInspect(ONE, env({ SERVICE_TAGS: `ok,${"t".repeat(256)}` })), want: [], rejected: [["80/tcp", "SERVICE_TAGS"]] },
  { name: "tag_255_ok", info: fakeInspect(ONE, env({ SERVICE_TAGS: "t".repeat(255) })), want: [{ tags: ["t".repeat(255)] }] },
  { name: "option_tag_too_long_rejected", info: fakeInspect(ONE), opts: { tags: ["t".repeat(256)] }, want: [], rejected: [["80/tcp", "--tags"]] },
  // metadata
  {
    name: "meta_from_other_service_keys_only",
    info: fakeInspect(
      WEB,
      env({ SERVICE_VERSION: "1.2", SERVICE_80_ZONE: "eu", SECRET_TOKEN: "hunter2", SERVICE_CHECK_TCP: "1", SERVICE_NAME: "web" }),
      labels({ SERVICE_Owner: "team-a", "com.example.password": "hunter3" }),
    ),
    want: [{ meta: { owner: "team-a", version: "1.2", zone: "eu" } }, { meta: { owner: "team-a", version: "1.2" } }],
  },
  { name: "meta_value_4096_ok", info: fakeInspect(ONE, env({ SERVICE_BLOB: "v".repeat(4096) })), want: [{ meta: { blob: "v".repeat(4096) } }] },
  { name: "meta_value_too_long_rejected", info: fakeInspect(ONE, env({ SERVICE_BLOB: "v".repeat(4097) })), want: [], rejected: [["80/tcp", "SERVICE_BLOB"]] },
  {
    name: "meta_64_keys_ok",
    info: fakeInspect(ONE, env(Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`SERVICE_K${i}`, "v"])))),
    want: [{ port: 8080 }],
  },
  {
    name: "meta_65_keys_rejected",
    info: fakeInspect(ONE, env(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`SERVICE_K${i}`, "v"])))),
    want: [],
    rejected: [["80/tcp", "SERVICE_*"]],
  },
  { name: "meta_key_with_dot_left_to_the_backend", info: fakeInspect(ONE, labels({ "SERVICE_a.b": "v" })), want: [{ meta: { "a.b": "v" } }] },
  { name: "meta_key_with_slash_rejected", info: fakeInspect(ONE, labels({ "SERVICE_a/b": "v" })), want: [], rejected: [["80/tcp", "SERVICE_a/b"]] },
  // checks
  {
    name: "check_http_default_interval",
    info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTP: "/health" })),
    opts: { hostIp: "10.0.0.5" },
    want: [{ checks: [{ type: "http", target: "http://10.0.0.5:8080/health", intervalMs: 10_000 }] }],
  },
  {
    name: "check_https_all_settings",
    info: fakeInspect(
      ONE,
      labels({
        SERVICE_CHECK_HTTPS: "/ready?x=1",
        SERVICE_CHECK_INTERVAL: "15s",
        SERVICE_CHECK_TIMEOUT: "1.5s",
        SERVICE_CHECK_INITIAL_STATUS: "passing",
        SERVICE_CHECK_DEREGISTER_AFTER: "1m30s",
        SERVICE_CHECK_TLS_SKIP_VERIFY: "true",
      }),
    ),
    want: [
      {
        checks: [
          {
            type: "https",
            target: "https://127.0.0.1:8080/ready?x=1",
            intervalMs: 15_000,
            timeoutMs: 1_500,
            initialStatus: "passing",
            deregisterAfterMs: 90_000,
            tlsSkipVerify: true,
          },
        ],
      },
    ],
  },
  { name: "check_tcp", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "true" })), want: [{ checks: [{ type: "tcp", target: "127.0.0.1:8080", intervalMs: 10_000 }] }] },
  { name: "check_ttl", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: "30s", SERVICE_CHECK_INTERVAL: "5s" })), want: [{ checks: [{ type: "ttl", intervalMs: 30_000 }] }] },
  {
    name: "check_http_and_tcp_both_registered",
    info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_HTTP: "/" })),
    want: [{ checks: [{ type: "http", target: "http://127.0.0.1:8080/", intervalMs: 10_000 }, { type: "tcp", target: "127.0.0.1:8080", intervalMs: 10_000 }] }],
  },
  {
    name: "check_ipv6_bracketed",
    info: fakeInspect(ports({ "80/tcp": null }), env({ SERVICE_CHECK_HTTP: "/h" }), V6),
    opts: { internal: true },
    want: [{ address: "fd00::2", checks: [{ type: "http", target: "http://[fd00::2]:80/h", intervalMs: 10_000 }] }],
  },
  {
    name: "check_port_specific",
    info: fakeInspect(WEB, env({ SERVICE_80_CHECK_HTTP: "/", SERVICE_443_CHECK_TCP: "1" })),
    want: [
      { checks: [{ type: "http", target: "http://127.0.0.1:8080/", intervalMs: 10_000 }] },
      { checks: [{ type: "tcp", target: "127.0.0.1:8443", intervalMs: 10_000 }] },
    ],
  },
  {
    name: "ttl_option_added_to_every_service",
    info: fakeInspect(WEB, env({ SERVICE_80_CHECK_HTTP: "/" })),
    opts: { ttlMs: 30_000 },
    want: [
      { checks: [{ type: "http", target: "http://127.0.0.1:8080/", intervalMs: 10_000 }, { type: "ttl", intervalMs: 30_000 }] },
      { checks: [{ type: "ttl", intervalMs: 30_000 }] },
    ],
  },
  {
    name: "bad_interval_rejected_sibling_kept",
    info: fakeInspect(WEB, env({ SERVICE_80_CHECK_HTTP: "/", SERVICE_80_CHECK_INTERVAL: "10" })),
    want: [{ port: 8443 }],
    rejected: [["80/tcp", "SERVICE_80_CHECK_INTERVAL"]],
  },
  { name: "bad_timeout_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_TIMEOUT: "soon" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TIMEOUT"]] },
  { name: "zero_ttl_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: "0s" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TTL"]] },
  { name: "bad_deregister_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: "10s", SERVICE_CHECK_DEREGISTER_AFTER: "1d" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_DEREGISTER_AFTER"]] },
  { name: "bad_initial_status_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_INITIAL_STATUS: "ok" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_INITIAL_STATUS"]] },
  { name: "bad_tls_skip_verify_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTPS: "/", SERVICE_CHECK_TLS_SKIP_VERIFY: "yes" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TLS_SKIP_VERIFY"]] },
  { name: "http_path_without_slash_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTP: "health" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_HTTP"]] },
  { name: "unused_check_settings_not_validated", info: fakeInspect(ONE, env({ SERVICE_CHECK_INTERVAL: "bogus" })), want: [{ checks: [], meta: {} }] },
  { name: "check_script_never_used", info: fakeInspect(ONE, env({ SERVICE_CHECK_SCRIPT: "rm -rf /", SERVICE_CHECK_CMD: "/bin/x" })), want: [{ checks: [], meta: {} }] },
  { name: "bad_ttl_option_rejected", info: fakeInspect(ONE), opts: { ttlMs: 0 }, want: [], rejected: [["80/tcp", "--ttl"]] },
  // ignore / explicit
  { name: "ignore_all", info: fakeInspect(WEB, env({ SERVICE_IGNORE: "true" })), want: [] },
  { name: "ignore_false_is_a_boolean", info: fakeInspect(ONE, labels({ SERVICE_IGNORE: "false" })), want: [{ port: 8080 }] },
  { name: "ignore_not_boolean_rejected", info: fakeInspect(ONE, labels({ SERVICE_IGNORE: "yes" })), want: [], rejected: [["80/tcp", "SERVICE_IGNORE"]] },
  { name: "ignore_empty_value_is_unset", info: fakeInspect(ONE, labels({ SERVICE_IGNORE: "" })), want: [{ port: 8080 }] },
  { name: "ignore_one_port_other_keeps_suffix", info: fakeInspect(WEB, env({ SERVICE_443_IGNORE: "1" })), want: [{ name: "nginx-80", port: 8080 }] },
  { name: "explicit_without_name_none", info: fakeInspect(WEB), opts: { explicit: true }, want: [] },
  { name: "explicit_compose_label_not_enough", info: fakeInspect(ONE, labels({ "com.docker.compose.service": "api" })), opts: { explicit: true }, want: [] },
  { name: "explicit_generic_name", info: fakeInspect(ONE, env({ SERVICE_NAME: "web" })), opts: { explicit: true }, want: [{ name: "web" }] },
  { name: "explicit_port_name_only_that_port", info: fakeInspect(WEB, env({ SERVICE_443_NAME: "tls" })), opts: { explicit: true }, want: [{ name: "tls", port: 8443 }] },
  // state and health
  { name: "paused_none", info: fakeInspect(ONE, { State: { Status: "paused", Paused: true } }), want: [] },
  { name: "exited_none", info: fakeInspect(ONE, { State: { Status: "exited", Running: false, ExitCode: 0 } }), want: [] },
  { name: "created_none", info: fakeInspect(ONE, { State: { Status: "created", Running: false } }), want: [] },
  { name: "restarting_none", info: fakeInspect(ONE, { State: { Status: "restarting", Restarting: true } }), want: [] },
  { name: "stopped_with_bad_metadata_no_rejections", info: fakeInspect(ONE, env({ SERVICE_NAME: "bad_name" }), { State: { Running: false } }), want: [] },
  { name: "health_none_passing", info: fakeInspect(ONE), want: [{ health: "passing" }] },
  { name: "health_starting_warning", info: fakeInspect(ONE, health("starting")), want: [{ health: "warning" }] },
  { name: "health_healthy_passing", info: fakeInspect(ONE, health("healthy")), want: [{ health: "passing" }] },
  { name: "health_unhealthy_critical", info: fakeInspect(WEB, health("unhealthy")), want: [{ health: "critical" }, { health: "critical" }] },
];

describe("containerToServices: tags, meta, checks, ignore, state", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.name}`, () => {
      runMappingCase(c);
    });
  });
});

describe("no secret leaks", () => {
  it("0_other_env_and_labels_never_in_output", () => {
    const info = fakeInspect(ONE, env({ DB_PASSWORD: "hunter2", SERVICE_NAME: "web" }), labels({ "com.example.token": "hunter3", TOKEN: "hunter4" }));
    const got = mapWith(info);
    expect(got.instances).toHaveLength(1);
    const text = JSON.stringify(got);
    for (const secret of ["hunter2", "hunter3", "hunter4"]) expect(text).not.toContain(secret);
  });
});
