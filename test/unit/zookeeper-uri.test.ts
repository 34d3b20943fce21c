import { describe, expect, it } from "vitest";
import { RegistryUriError } from "../../src/core/errors.js";
import { parseZooKeeperUri } from "../../adapters/zookeeper/uri.js";
import type { ZooKeeperOptions } from "../../adapters/zookeeper/index.js";

const good: [string, string, ZooKeeperOptions][] = [
  ["ensemble, defaults", "zk://h1:2181,h2:2182,h3:2183", { connect: "h1:2181,h2:2182,h3:2183", format: "curator", payload: "none" }],
  ["chroot", "zk://127.0.0.1:21810/services", { connect: "127.0.0.1:21810", chroot: "/services", format: "curator", payload: "none" }],
  ["nested chroot", "zk://a:1/x/y/z", { connect: "a:1", chroot: "/x/y/z", format: "curator", payload: "none" }],
  ["root path means default", "zk://a:1/", { connect: "a:1", format: "curator", payload: "none" }],
  ["default port", "zk://zk1,zk2:2000", { connect: "zk1:2181,zk2:2000", format: "curator", payload: "none" }],
  ["nerve", "zk://a:1/nerve/services?format=nerve", { connect: "a:1", chroot: "/nerve/services", format: "nerve", payload: "none" }],
  ["spring payload", "zk://a:1/s?format=curator&payload=spring", { connect: "a:1", chroot: "/s", format: "curator", payload: "spring" }],
  ["explicit none", "zk://a:1?payload=none", { connect: "a:1", format: "curator", payload: "none" }],
  ["session timeout", "zk://a:1?sessionTimeout=30s", { connect: "a:1", format: "curator", payload: "none", sessionTimeoutMs: 30_000 }],
  ["upper-case scheme", "ZK://a:1", { connect: "a:1", format: "curator", payload: "none" }],
  ["percent-encoded chroot", "zk://a:1/my%3Aroot", { connect: "a:1", chroot: "/my:root", format: "curator", payload: "none" }],
];

describe("parseZooKeeperUri: valid", () => {
  good.forEach(([name, uri, want], i) => {
    it(`${i}_${name}`, () => {
      expect(parseZooKeeperUri(uri)).toEqual(want);
    });
  });
});

const bad: [string, string, RegExp][] = [
  ["wrong scheme", "zookeeper://a:1", /scheme/],
  ["no host", "zk:///services", /no ZooKeeper server/],
  ["empty server", "zk://a:1,,b:2", /empty server/],
  ["bad port", "zk://a:99999", /port/],
  ["non-numeric port", "zk://a:x", /port/],
  ["too many colons", "zk://a:1:2", /HOST or HOST:PORT/],
  ["ipv6", "zk://[::1]:2181", /IPv6/],
  ["user info", "zk://u@a:1", /user info/],
  ["bad host", "zk://a_b:1", /host name/],
  ["unknown format", "zk://a:1?format=eureka", /format/],
  ["unknown payload", "zk://a:1?payload=json", /payload/],
  ["payload with nerve", "zk://a:1?format=nerve&payload=spring", /conflicts/],
  ["unknown param", "zk://a:1?timeout=1", /unknown query parameter/],
  ["duplicate param", "zk://a:1?format=nerve&format=curator", /twice/],
  ["param without value", "zk://a:1?format", /KEY=VALUE/],
  ["trailing slash chroot", "zk://a:1/services/", /znode path/],
  ["empty segment", "zk://a:1/a//b", /znode path/],
  ["dot segment", "zk://a:1/a/../b", /znode path/],
  ["control char", "zk://a:1/a%01b", /znode path/],
  ["bad percent", "zk://a:1/%zz", /percent/],
  ["fragment", "zk://a:1/s#x", /fragment/],
  ["bad session timeout", "zk://a:1?sessionTimeout=soon", /sessionTimeout/],
  ["session timeout beyond timers", "zk://a:1?sessionTimeout=720h", /sessionTimeout/],
];

describe("parseZooKeeperUri: malformed", () => {
  bad.forEach(([name, uri, why], i) => {
    it(`${i}_${name}`, () => {
      let err: unknown;
      try {
        parseZooKeeperUri(uri);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RegistryUriError);
      expect((err as RegistryUriError).uri).toBe(uri);
      // The message must name what is wrong (checked loosely, never the whole text).
      expect((err as Error).message).toMatch(why);
    });
  });
});
