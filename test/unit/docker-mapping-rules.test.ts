// One case per rule of docs/registrator.md's "Container metadata" section (limits and rules), so the page and the code agree.
import { describe, it } from "vitest";
import { env, fakeInspect, labels, ports } from "./fixtures/container.js";
import { runMappingCase, type MappingCase } from "./fixtures/mapping-cases.js";

const ONE = ports({ "80/tcp": [["127.0.0.1", "8080"]] });
const many = (n: number) => ports(Object.fromEntries(Array.from({ length: n }, (_, i) => [`${1000 + i}/tcp`, [["127.0.0.1", String(20000 + i)]]])));

const cases: MappingCase[] = [
  // keys: case-insensitive, labels beat env, empty and whitespace-only values are unset
  { name: "lower_case_service_name", info: fakeInspect(ONE, labels({ service_name: "web" })), want: [{ name: "web" }] },
  { name: "mixed_case_prefix", info: fakeInspect(ONE, env({ Service_Name: "web" })), want: [{ name: "web" }] },
  { name: "label_beats_env", info: fakeInspect(ONE, env({ SERVICE_NAME: "env" }), labels({ SERVICE_NAME: "label" })), want: [{ name: "label" }] },
  { name: "empty_name_falls_back_to_image", info: fakeInspect(ONE, env({ SERVICE_NAME: "" })), want: [{ name: "nginx" }] },
  { name: "whitespace_name_falls_back_to_image", info: fakeInspect(ONE, env({ SERVICE_NAME: "   " })), want: [{ name: "nginx" }] },
  // names
  { name: "name_not_dns_label_rejected", info: fakeInspect(ONE, env({ SERVICE_NAME: "bad_name!" })), want: [], rejected: [["80/tcp", "SERVICE_NAME"]] },
  { name: "name_with_newline_rejected", info: fakeInspect(ONE, env({ SERVICE_NAME: "a\nb" })), want: [], rejected: [["80/tcp", "SERVICE_NAME"]] },
  // tags
  { name: "tag_control_character_rejected", info: fakeInspect(ONE, env({ SERVICE_TAGS: "ok,a\nb" })), want: [], rejected: [["80/tcp", "SERVICE_TAGS"]] },
  { name: "option_tag_control_character_rejected", info: fakeInspect(ONE), opts: { tags: ["a\u0007"] }, want: [], rejected: [["80/tcp", "--tags"]] },
  // meta
  { name: "meta_value_control_character_rejected", info: fakeInspect(ONE, env({ SERVICE_VERSION: "1\r\n2" })), want: [], rejected: [["80/tcp", "SERVICE_VERSION"]] },
  { name: "meta_reserved_underscore_rejected", info: fakeInspect(ONE, labels({ SERVICE_PORTOLAN_OWNER: "x" })), want: [], rejected: [["80/tcp", "SERVICE_PORTOLAN_OWNER"]] },
  { name: "meta_reserved_dot_rejected", info: fakeInspect(ONE, labels({ "SERVICE_portolan.owner": "x" })), want: [], rejected: [["80/tcp", "SERVICE_portolan.owner"]] },
  { name: "meta_portolanx_is_not_reserved", info: fakeInspect(ONE, labels({ SERVICE_PORTOLANX: "x" })), want: [{ meta: { portolanx: "x" } }] },
  // IDs
  { name: "id_own_namespace_ok", info: fakeInspect(ONE, env({ SERVICE_ID: "node1:custom" })), want: [{ id: "node1:custom" }] },
  { name: "id_without_separator_ok", info: fakeInspect(ONE, env({ SERVICE_ID: "redis-primary" })), want: [{ id: "redis-primary" }] },
  { name: "id_other_namespace_rejected", info: fakeInspect(ONE, env({ SERVICE_ID: "hostB:victim:80" })), want: [], rejected: [["80/tcp", "SERVICE_ID"]] },
  { name: "id_control_character_rejected", info: fakeInspect(ONE, env({ SERVICE_ID: "a\u0000b" })), want: [], rejected: [["80/tcp", "SERVICE_ID"]] },
  { name: "id_too_long_rejected", info: fakeInspect(ONE, env({ SERVICE_ID: "i".repeat(513) })), want: [], rejected: [["80/tcp", "SERVICE_ID"]] },
  // booleans
  { name: "check_tcp_false_no_check", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "false" })), want: [{ checks: [] }] },
  { name: "check_tcp_zero_no_check", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "0" })), want: [{ checks: [] }] },
  { name: "check_tcp_true_check", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "TRUE" })), want: [{ checks: [{ type: "tcp", target: "127.0.0.1:8080", intervalMs: 10_000 }] }] },
  { name: "check_tcp_not_boolean_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "maybe" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TCP"]] },
  { name: "ignore_true", info: fakeInspect(ONE, env({ SERVICE_IGNORE: "1" })), want: [] },
  // checks: minimums, maximums, control characters
  { name: "interval_below_1s_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_INTERVAL: "1ms" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_INTERVAL"]] },
  { name: "interval_1s_ok", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_INTERVAL: "1s" })), want: [{ port: 8080 }] },
  { name: "ttl_below_1s_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TTL: "999ms" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_TTL"]] },
  { name: "interval_huge_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_TCP: "1", SERVICE_CHECK_INTERVAL: "99999999999h" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_INTERVAL"]] },
  { name: "ttl_option_below_1s_rejected", info: fakeInspect(ONE), opts: { ttlMs: 500 }, want: [], rejected: [["80/tcp", "--ttl"]] },
  { name: "check_http_crlf_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTP: "/x\r\nHost: evil" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_HTTP"]] },
  { name: "check_http_space_rejected", info: fakeInspect(ONE, env({ SERVICE_CHECK_HTTP: "/a b" })), want: [], rejected: [["80/tcp", "SERVICE_CHECK_HTTP"]] },
  // networks: SERVICE_NETWORK must be attached in every mode
  { name: "network_not_attached_published_rejected", info: fakeInspect(ONE, env({ SERVICE_NETWORK: "nosuch" })), want: [], rejected: [["80/tcp", "SERVICE_NETWORK"]] },
  { name: "network_attached_published_ok", info: fakeInspect(ONE, env({ SERVICE_NETWORK: "bridge" })), want: [{ port: 8080 }] },
  // services per container
  { name: "max_services_exactly", info: fakeInspect(many(3)), opts: { maxServices: 3 }, want: [{ port: 20000 }, { port: 20001 }, { port: 20002 }] },
  {
    name: "max_services_rest_rejected_once",
    info: fakeInspect(many(5)),
    opts: { maxServices: 2 },
    want: [{ port: 20000, name: "nginx-1000" }, { port: 20001 }],
    rejected: [["", "--max-services"]],
  },
];

describe("docs/registrator.md container metadata rules", () => {
  cases.forEach((c, i) => it(`${i}_${c.name}`, () => void runMappingCase(c)));
});
