// Flag parsing of `portolan dns`: TTL rules, domain and datacenter checks (UsageError classes).
import { describe, expect, it } from "vitest";
import { dnsFlagsToOptions, parseServiceTtl } from "../../src/cli/dns.js";
import { UsageError } from "../../src/core/errors.js";

const FLAGS = { listen: "127.0.0.1:8600", domain: "consul", datacenter: "dc1", ttl: "0s", serviceTtl: [], recursor: [] };

describe("parseServiceTtl", () => {
  const ok: [string, { match: string; prefix: boolean; ttlS: number }][] = [
    ["web=10s", { match: "web", prefix: false, ttlS: 10 }],
    ["Web*=1m", { match: "web", prefix: true, ttlS: 60 }],
    ["*=30", { match: "", prefix: true, ttlS: 30 }],
    ["db=1500ms", { match: "db", prefix: false, ttlS: 1 }],
  ];
  ok.forEach(([text, rule], i) => it(`${i}_${text}`, () => expect(parseServiceTtl(text)).toEqual(rule)));
  ["web", "=10s", "web=soon", "we_b=1s", "a*b=1s"].forEach((text, i) => it(`${ok.length + i}_${text} is a usage error`, () => expect(() => parseServiceTtl(text)).toThrow(UsageError)));
});

describe("dnsFlagsToOptions", () => {
  it("0_merges defaults, lower-cases domain and datacenter, recursor port 53 by default", () => {
    const o = dnsFlagsToOptions({ ...FLAGS, domain: "Example.Internal.", datacenter: "EAST", ttl: "5", recursor: ["10.0.0.53"] });
    expect(o).toMatchObject({ domain: "example.internal", datacenter: "east", ttlS: 5, recursors: [{ host: "10.0.0.53", port: 53 }], includeWarning: false });
  });
  const bad: [string, Partial<typeof FLAGS>][] = [
    ["domain", { domain: "bad_domain" }],
    ["empty domain", { domain: "." }],
    ["datacenter", { datacenter: "dc.1" }],
    ["ttl", { ttl: "-1s" }],
  ];
  bad.forEach(([name, over], i) => it(`${i + 1}_bad ${name} is a usage error`, () => expect(() => dnsFlagsToOptions({ ...FLAGS, ...over })).toThrow(UsageError)));
});
