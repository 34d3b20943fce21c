import { describe, expect, it } from "vitest";
import { RegistryUriError } from "../../src/core/errors.js";
import { parseEtcdUri, type EtcdUriOptions } from "../../adapters/etcd/uri.js";
import { parseRegistryUri } from "../../src/cli/registry-uri.js";
import { redact } from "../../src/core/output.js";

const e = (host: string, port: number) => ({ host, port });
const good: [string, string, EtcdUriOptions][] = [
  ["one endpoint", "etcd://127.0.0.1:2379", { endpoints: [e("127.0.0.1", 2379)], secure: false }],
  ["several, default port", "etcd://a,b:2380,c", { endpoints: [e("a", 2379), e("b", 2380), e("c", 2379)], secure: false }],
  ["prefix", "etcd://a:1/skydns", { endpoints: [e("a", 1)], secure: false, prefix: "/skydns" }],
  ["nested prefix and zone", "etcd://a:1/dns/x?zone=svc.Example.org.", { endpoints: [e("a", 1)], secure: false, prefix: "/dns/x", zone: "svc.example.org" }],
  ["ttl and lease", "etcd://a:1?ttl=30s&lease=1m", { endpoints: [e("a", 1)], secure: false, ttlS: 30, leaseTtlS: 60 }],
  ["https", "etcd+https://a:1", { endpoints: [e("a", 1)], secure: true }],
  ["IPv6", "etcd://[::1]:2379", { endpoints: [e("::1", 2379)], secure: false }],
  ["root path keeps the default prefix", "etcd://a:1/", { endpoints: [e("a", 1)], secure: false }],
];

describe("parseEtcdUri: valid", () => {
  good.forEach(([name, uri, want], i) => {
    it(`${i}_${name}`, () => {
      expect(parseEtcdUri(uri)).toEqual(want);
    });
  });
});

const bad: [string, string, RegExp][] = [
  ["no endpoint", "etcd:///skydns", /no etcd endpoint/],
  ["empty endpoint", "etcd://a:1,,b:2", /empty endpoint/],
  ["bad port", "etcd://a:70000", /port/],
  ["duplicate endpoint", "etcd://a:1,a:1", /twice/],
  ["credentials in URI", "etcd://u:secretpw@a:1", /ETCDCTL_USER/],
  ["trailing slash prefix", "etcd://a:1/skydns/", /prefix/],
  ["dot segment", "etcd://a:1/x/../y", /prefix/],
  ["unknown param", "etcd://a:1?password=x", /unknown query parameter/],
  ["bad zone", "etcd://a:1?zone=a..b", /zone/],
  ["ttl zero", "etcd://a:1?ttl=0s", /ttl/],
  ["fractional ttl", "etcd://a:1?ttl=1500ms", /ttl/],
  ["lease too short", "etcd://a:1?lease=1s", /lease/],
  ["param twice", "etcd://a:1?ttl=1s&ttl=2s", /twice/],
  ["fragment", "etcd://a:1#x", /fragment/],
];

describe("parseEtcdUri: invalid", () => {
  bad.forEach(([name, uri, re], i) => {
    it(`${i}_${name}`, () => {
      let err: unknown;
      try {
        parseEtcdUri(uri);
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(RegistryUriError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain("secretpw");
    });
  });
});

describe("etcd settings from the environment", () => {
  it("0_ETCDCTL_USER name:password, masked from then on", () => {
    const t = parseRegistryUri("etcd://a:1", { ETCDCTL_USER: "portolan:s3cr3t-pw" });
    expect(t).toMatchObject({ scheme: "etcd", options: { user: "portolan", password: "s3cr3t-pw" } });
    expect(redact("said s3cr3t-pw")).not.toContain("s3cr3t-pw");
  });
  it("1_ETCDCTL_PASSWORD with ETCDCTL_USER as the whole name", () => {
    expect(parseRegistryUri("etcd://a:1", { ETCDCTL_USER: "a:b", ETCDCTL_PASSWORD: "pw-long" })).toMatchObject({ options: { user: "a:b", password: "pw-long" } });
  });
  const refused: [string, Record<string, string>, RegExp][] = [
    ["user without password", { ETCDCTL_USER: "portolan" }, /needs a password/],
    ["password without user", { ETCDCTL_PASSWORD: "x1234" }, /without ETCDCTL_USER/],
    ["cert without key", { ETCDCTL_CERT: "-----BEGIN CERTIFICATE-----" }, /both ETCDCTL_CERT and ETCDCTL_KEY/],
    ["unreadable CA file", { ETCDCTL_CACERT: "/nonexistent/ca.pem" }, /ETCDCTL_CACERT=\/nonexistent\/ca.pem: cannot be read/],
    ["key file named, never its value", { ETCDCTL_CERT: "-----BEGIN CERTIFICATE-----", ETCDCTL_KEY: "/nonexistent/key" }, /^(?![\s\S]*nonexistent\/key)[\s\S]*ETCDCTL_KEY/],
  ];
  refused.forEach(([name, env, re], i) => {
    it(`${i + 2}_${name}`, () => {
      expect(() => parseRegistryUri("etcd+https://a:1", env)).toThrow(re);
    });
  });
  it(`${refused.length + 2}_TLS settings with plain etcd://`, () => {
    expect(() => parseRegistryUri("etcd://a:1", { ETCDCTL_CACERT: "-----BEGIN CERTIFICATE-----" })).toThrow(/etcd\+https/);
  });
});
