import { describe, expect, it } from "vitest";
import { RegistryUriError } from "../../src/core/errors.js";
import { parseEurekaUri, type EurekaUriOptions } from "../../adapters/eureka/uri.js";
import { parseRegistryUri } from "../../src/cli/registry-uri.js";

const T = { renewMs: 30_000, leaseMs: 90_000, pollMs: 10_000 };
const good: [string, string, EurekaUriOptions][] = [
  ["one server, Spring's path", "eureka://10.0.0.2:8761/eureka", { servers: [{ host: "10.0.0.2", port: 8761 }], path: "/eureka", ...T }],
  ["peers share one path", "eureka://a:1,b:2/eureka", { servers: [{ host: "a", port: 1 }, { host: "b", port: 2 }], path: "/eureka", ...T }],
  ["defaults: port 8761, path /eureka", "eureka://eureka1", { servers: [{ host: "eureka1", port: 8761 }], path: "/eureka", ...T }],
  ["trailing slash", "eureka://a:1/eureka/", { servers: [{ host: "a", port: 1 }], path: "/eureka", ...T }],
  ["Netflix's war path", "eureka://a:8080/eureka/v2", { servers: [{ host: "a", port: 8080 }], path: "/eureka/v2", ...T }],
  ["IPv6 literal", "eureka://[::1]:8761/eureka", { servers: [{ host: "::1", port: 8761 }], path: "/eureka", ...T }],
  ["renew alone keeps lease = 3 renewals", "eureka://a:1/eureka?renew=5s", { servers: [{ host: "a", port: 1 }], path: "/eureka", renewMs: 5000, leaseMs: 15_000, pollMs: 10_000 }],
  ["every timing", "eureka://a:1/eureka?renew=10s&lease=40s&poll=2s", { servers: [{ host: "a", port: 1 }], path: "/eureka", renewMs: 10_000, leaseMs: 40_000, pollMs: 2000 }],
  ["upper-case scheme", "EUREKA://a:1/eureka", { servers: [{ host: "a", port: 1 }], path: "/eureka", ...T }],
];

describe("parseEurekaUri: valid", () => {
  good.forEach(([name, uri, want], i) => {
    it(`${i}_${name}`, () => {
      expect(parseEurekaUri(uri)).toEqual(want);
    });
  });
});

const bad: [string, string, RegExp][] = [
  ["no server", "eureka:///eureka", /no Eureka server/],
  ["empty server", "eureka://a:1,,b:2/eureka", /empty server/],
  ["bad port", "eureka://a:70000/eureka", /port/],
  ["bad host", "eureka://a_b:1/eureka", /host name/],
  ["server twice", "eureka://a:1,a:1/eureka", /listed twice/],
  ["credentials", "eureka://user:secret@a:1/eureka", /EUREKA_USERNAME/],
  ["path with a query-like character", "eureka://a:1/eu%20reka", /path/],
  ["unknown parameter", "eureka://a:1/eureka?zone=x", /unknown query parameter/],
  ["parameter twice", "eureka://a:1/eureka?poll=1s&poll=2s", /twice/],
  ["bad duration", "eureka://a:1/eureka?renew=often", /positive duration/],
  ["renew not whole seconds", "eureka://a:1/eureka?renew=1500ms", /renew/],
  ["lease not longer than renew", "eureka://a:1/eureka?renew=30s&lease=30s", /lease/],
  ["poll too short", "eureka://a:1/eureka?poll=10ms", /poll/],
  ["fragment", "eureka://a:1/eureka#x", /fragment/],
];

describe("parseEurekaUri: invalid", () => {
  bad.forEach(([name, uri, msg], i) => {
    it(`${i}_${name}`, () => {
      let err: unknown;
      try {
        parseEurekaUri(uri);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RegistryUriError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).not.toContain("secret");
    });
  });
});

describe("eureka:// through parseRegistryUri", () => {
  it("0_basic auth from EUREKA_USERNAME and EUREKA_PASSWORD", () => {
    const t = parseRegistryUri("eureka://a:1/eureka", { EUREKA_USERNAME: "u", EUREKA_PASSWORD: "pw-1234" });
    expect(t).toMatchObject({ scheme: "eureka", options: { username: "u", password: "pw-1234" } });
  });
  it("1_one without the other is refused", () => {
    expect(() => parseRegistryUri("eureka://a:1/eureka", { EUREKA_USERNAME: "u" })).toThrow(RegistryUriError);
    expect(() => parseRegistryUri("eureka://a:1/eureka", { EUREKA_PASSWORD: "pw-1234" })).toThrow(RegistryUriError);
  });
  it("2_a user name with ':' is refused", () => {
    expect(() => parseRegistryUri("eureka://a:1/eureka", { EUREKA_USERNAME: "a:b", EUREKA_PASSWORD: "pw-1234" })).toThrow(/EUREKA_USERNAME/);
  });
  it("3_no auth: no credentials in the target", () => {
    const t = parseRegistryUri("eureka://a:1/eureka", {});
    expect(t).toEqual({ scheme: "eureka", options: { servers: [{ host: "a", port: 1 }], path: "/eureka", ...T } });
  });
});
