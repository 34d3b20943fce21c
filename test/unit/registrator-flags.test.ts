// Registrator flags and registry URIs: every bad value is refused before any effect, naming the flag.
import { LogLevelError } from "../../src/core/log-level.js";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openRegistry, parseRegistryUri } from "../../src/cli/registry-uri.js";
import { FlagError } from "../../src/core/errors.js";
import { registratorOptions, type RegistratorFlags } from "../../src/cli/registrator-options.js";
import { RegistryUriError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";

const BASE: RegistratorFlags = {
  resync: "30",
  deregister: "always",
  retryAttempts: "-1",
  retryInterval: "1000",
  concurrency: "8",
  maxServices: "1000",
  shutdownTimeout: "10",
  logFormat: "json",
  logLevel: "info",
  hostname: "host-1",
};

describe("registrator flags refused", () => {
  const table: Array<[string, Partial<RegistratorFlags>, string]> = [
    ["ip_not_an_ip", { ip: "notanip" }, "ip"],
    ["ip_hostname", { ip: "example.org" }, "ip"],
    ["hostname_with_separator", { hostname: "a:b" }, "hostname"],
    ["hostname_empty", { hostname: "" }, "hostname"],
    ["hostname_blank", { hostname: "  " }, "hostname"],
    ["hostname_slash", { hostname: "a/b" }, "hostname"],
    ["hostname_newline", { hostname: "a\nb" }, "hostname"],
    ["ttl_zero", { ttl: "0" }, "ttl"],
    ["ttl_below_1s", { ttl: "500ms" }, "ttl"],
    ["ttl_overflowing_timer", { ttl: "720h" }, "ttl"],
    ["ttl_refresh_zero", { ttlRefresh: "0" }, "ttl-refresh"],
    ["retry_interval_zero", { retryInterval: "0" }, "retry-interval"],
    ["resync_garbage", { resync: "soon" }, "resync"],
    ["resync_1ms_busy_loop", { resync: "1ms" }, "resync"],
    ["resync_below_1s", { resync: "999ms" }, "resync"],
    ["shutdown_timeout_zero", { shutdownTimeout: "0" }, "shutdown-timeout"],
    ["concurrency_zero", { concurrency: "0" }, "concurrency"],
    ["concurrency_fraction", { concurrency: "1.5" }, "concurrency"],
    ["retry_attempts_zero", { retryAttempts: "0" }, "retry-attempts"],
    ["max_services_zero", { maxServices: "0" }, "max-services"],
    ["max_services_text", { maxServices: "many" }, "max-services"],
    ["tags_control_character", { tags: "a,b\u0007" }, "tags"],
    ["network_blank", { network: " ", internal: true }, "network"],
    ["network_without_internal", { network: "backend" }, "network"],
  ];
  table.forEach(([name, over, flag], i) =>
    it(`${i}_${name}`, () => {
      let err: unknown;
      try {
        registratorOptions({ ...BASE, ...over });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FlagError);
      expect((err as FlagError).flag).toBe(flag);
    }),
  );
});

describe("registrator log level", () => {
  it("0_bogus_is_a_LogLevelError_naming_the_flag", () => {
    expect(() => registratorOptions({ ...BASE, logLevel: "bogus" })).toThrow(LogLevelError);
  });
});

describe("registrator flags accepted", () => {
  const table: Array<[string, Partial<RegistratorFlags>]> = [
    ["ipv4", { ip: "10.0.0.5" }],
    ["ipv6", { ip: "fd00::5" }],
    ["resync_zero_means_events_only", { resync: "0" }],
    ["resync_1s", { resync: "1s" }],
    ["ttl_1s", { ttl: "1" }],
    ["network_with_internal", { network: "backend", internal: true }],
    ["fqdn_hostname", { hostname: "ip-10-0-0-5.eu-west-1.compute.internal" }],
  ];
  table.forEach(([name, over], i) => it(`${i}_${name}`, () => expect(() => registratorOptions({ ...BASE, ...over })).not.toThrow()));
});

describe("registry URIs refused", () => {
  const table = [
    "consul://127.0.0.1:18500?token=abc",
    "consul://127.0.0.1:18500/?dc=x",
    "consul://127.0.0.1:18500#frag",
    "consul://user:secret@127.0.0.1:18500",
    "consul://127.0.0.1:18500?servicePolls=-1",
    "consul://127.0.0.1:18500?servicePolls=many",
    "consul://127.0.0.1:18500?servicePolls=4097",
    "consul://127.0.0.1:18500?servicePolls=",
    "consul://127.0.0.1:18500?servicePolls=8&servicePolls=9",
    "consul://user:secret@127.0.0.1:18500?servicePolls=x",
    "memory:?x=1",
    "zk://127.0.0.1:2181/base?bogus=1",
    "portolan://127.0.0.1:8700?token=abc",
    "portolan://user:secret@127.0.0.1:8700",
    "portolan://127.0.0.1:8700/v1",
    "portolan://127.0.0.1:8700#frag",
    "portolan://127.0.0.1",
  ];
  table.forEach((uri, i) =>
    it(`${i}_${uri}`, async () => {
      const err = await openRegistry(uri, { logger: silentLogger() }).then(
        (r) => r.close(),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RegistryUriError);
      expect(String((err as Error).message)).not.toContain("secret");
    }),
  );
});

describe("consul:// servicePolls", () => {
  it("0_taken_from_the_query_and_named_when_refused", () => {
    expect(parseRegistryUri("consul://127.0.0.1:18500?servicePolls=0", {})).toMatchObject({ scheme: "consul", servicePolls: 0, connection: { host: "127.0.0.1", port: 18500 } });
    expect(parseRegistryUri("consul+https://127.0.0.1:18520?servicePolls=200", {})).toMatchObject({ servicePolls: 200, connection: { port: 18520, secure: true } });
    expect(parseRegistryUri("consul://127.0.0.1:18500", {})).not.toHaveProperty("servicePolls");
    expect(() => parseRegistryUri("consul://127.0.0.1:18500?servicePolls=lots", {})).toThrow(/servicePolls "lots" is not a whole number from 0 to 4096/);
  });
});

describe("registry settings from the environment, checked with the URI", () => {
  const dir = mkdtempSync(join(tmpdir(), "portolan-pem-"));
  const pem = join(dir, "ca.pem");
  writeFileSync(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  writeFileSync(join(dir, "not-pem.txt"), "hello\n");
  const URI = "consul+https://127.0.0.1:18520";
  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ["cacert_missing_file", { CONSUL_CACERT: join(dir, "nope.pem") }, /CONSUL_CACERT=.*nope\.pem: cannot be read \(ENOENT\)/],
    ["cacert_a_directory", { CONSUL_CACERT: dir }, /CONSUL_CACERT=.*: not a regular file/],
    ["cacert_not_pem", { CONSUL_CACERT: join(dir, "not-pem.txt") }, /CONSUL_CACERT=.*not-pem\.txt: not a PEM file/],
    ["cert_without_key", { CONSUL_CLIENT_CERT: pem }, /needs both CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY/],
    ["key_without_cert", { CONSUL_CLIENT_KEY: pem }, /needs both CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY/],
    ["key_unreadable_value_never_shown", { CONSUL_CLIENT_CERT: pem, CONSUL_CLIENT_KEY: "MHcCAQEEIKeyMaterialNotAPath" }, /CONSUL_CLIENT_KEY: cannot be read/],
    ["token_with_newline_value_never_shown", { CONSUL_HTTP_TOKEN: "KeyMaterial-token\n" }, /CONSUL_HTTP_TOKEN: not visible ASCII/],
    ["token_with_space", { CONSUL_HTTP_TOKEN: "KeyMaterial token" }, /CONSUL_HTTP_TOKEN: not visible ASCII/],
  ];
  refused.forEach(([name, env, message], i) =>
    it(`${i}_${name}`, () => {
      let err: unknown;
      try {
        parseRegistryUri(URI, env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RegistryUriError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("KeyMaterial");
    }),
  );
  it(`${refused.length}_pem_files_read_and_pem_text_kept`, () => {
    const text = "-----BEGIN CERTIFICATE-----\nINLINE\n-----END CERTIFICATE-----\n";
    const t = parseRegistryUri(URI, { CONSUL_CACERT: pem, CONSUL_CLIENT_CERT: text, CONSUL_CLIENT_KEY: pem, CONSUL_HTTP_TOKEN: "tok-12345" });
    expect(t).toEqual({
      scheme: "consul",
      connection: { host: "127.0.0.1", port: 18520, secure: true, token: "tok-12345", ca: readFileSync(pem, "utf8"), cert: text, key: readFileSync(pem, "utf8") },
    });
  });
});
