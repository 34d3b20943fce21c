// One HOST:PORT grammar for every flag and value (core/host-port.ts), and one way to write it back.
import { describe, expect, it } from "vitest";
import { FlagError } from "../../src/core/errors.js";
import { hostPortFlag, isIPv6, joinHostPort, splitHostPort } from "../../src/core/host-port.js";

describe("splitHostPort", () => {
  const ok: Array<[string, Parameters<typeof splitHostPort>[1], string, number]> = [
    ["127.0.0.1:53", {}, "127.0.0.1", 53],
    ["10.0.0.1", { defaultPort: 8600 }, "10.0.0.1", 8600],
    ["[::1]:5353", {}, "::1", 5353],
    ["[fd00::1]", { defaultPort: 8600 }, "fd00::1", 8600],
    ["localhost:0", {}, "localhost", 0],
    [":9000", { defaultHost: "127.0.0.1" }, "127.0.0.1", 9000],
    ["db_1.internal:5432", { minPort: 1 }, "db_1.internal", 5432],
  ];
  ok.forEach(([text, rule, host, port], i) => it(`${i}_${text}`, () => expect(splitHostPort(text, rule)).toEqual({ host, port })));
  const bad: Array<[string, Parameters<typeof splitHostPort>[1]]> = [
    ["", { defaultPort: 1 }],
    ["a:b:c", {}],
    ["::1", { defaultPort: 53 }], // an IPv6 address with a port must be bracketed; without one, too (one grammar)
    ["1.2.3.4:65536", {}],
    ["1.2.3.4:-1", {}],
    ["[::1", {}],
    ["[not-v6]:80", {}],
    ["10.0.0.1", {}], // a port is required without defaultPort
    [":9000", {}], // a host is required without defaultHost
    ["host:0", { minPort: 1 }],
    ["my host:80", {}],
  ];
  bad.forEach(([text, rule], i) => it(`${ok.length + i}_${JSON.stringify(text)}_is_refused`, () => expect(splitHostPort(text, rule)).toBeUndefined()));
});

describe("hostPortFlag", () => {
  it("0_names_the_flag_and_the_forms_it_takes", () => {
    const err = (() => {
      try {
        hostPortFlag("listen", "a:b", { defaultHost: "127.0.0.1" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FlagError);
    expect((err as FlagError).message).toBe('--listen: expected HOST:PORT, [IPV6]:PORT, :PORT, got "a:b"');
  });
});

describe("joinHostPort and isIPv6", () => {
  it("0_brackets_ipv6_only", () => {
    expect(joinHostPort("10.0.0.1", 80)).toBe("10.0.0.1:80");
    expect(joinHostPort("::1", 80)).toBe("[::1]:80");
    expect(joinHostPort("fd00::1")).toBe("[fd00::1]");
    expect(joinHostPort("db")).toBe("db");
  });
  it("1_isIPv6", () => {
    expect(["::1", "fd00::1", "::ffff:10.0.0.1"].every(isIPv6)).toBe(true);
    expect(["10.0.0.1", "a:b:c", "[::1]", "::1/64", ""].some(isIPv6)).toBe(false);
  });
});
