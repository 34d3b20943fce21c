// ZooKeeper credentials and ACLs: the digest credential and reader list (PORTOLAN_ZK_AUTH, _FILE, _READERS) as the
// CLI reads them from the environment, and the ACL built from them. Refusals name the variable, never the value.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Permission } from "node-zookeeper-client";
import { describe, expect, it } from "vitest";
import { aclFor, holders, permsOf } from "../../adapters/zookeeper/acl.js";
import { digestId } from "../../adapters/zookeeper/credential.js";
import { resolveOptions } from "../../adapters/zookeeper/options.js";
import { RegistryUriError } from "../../src/core/errors.js";
import { redact } from "../../src/core/output.js";
import { parseRegistryUri } from "../../src/cli/registry-uri.js";

const URI = "zk://127.0.0.1:21810/services";
const dir = mkdtempSync(join(tmpdir(), "portolan-zk-auth-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const SECRET = "Unmistakable-Pw-8c1f";

describe("ZooKeeper credential from the environment: refused", () => {
  const refused: [string, Record<string, string>, RegExp][] = [
    ["empty", { PORTOLAN_ZK_AUTH: "" }, /PORTOLAN_ZK_AUTH is empty/],
    ["no_colon", { PORTOLAN_ZK_AUTH: SECRET }, /PORTOLAN_ZK_AUTH has no ':'/],
    ["empty_user", { PORTOLAN_ZK_AUTH: `:${SECRET}` }, /PORTOLAN_ZK_AUTH has an empty USER/],
    ["empty_password", { PORTOLAN_ZK_AUTH: "portolan:" }, /PORTOLAN_ZK_AUTH has an empty PASSWORD/],
    ["short_password", { PORTOLAN_ZK_AUTH: "portolan:abc" }, /PORTOLAN_ZK_AUTH has a PASSWORD shorter than 4/],
    ["newline", { PORTOLAN_ZK_AUTH: `portolan:${SECRET}\n` }, /PORTOLAN_ZK_AUTH contains a control character/],
    ["space_in_user", { PORTOLAN_ZK_AUTH: `port olan:${SECRET}` }, /PORTOLAN_ZK_AUTH has white space in USER/],
    ["padded_password", { PORTOLAN_ZK_AUTH: `portolan: ${SECRET}` }, /PORTOLAN_ZK_AUTH has white space at the start or end of PASSWORD/],
    ["both_variables", { PORTOLAN_ZK_AUTH: `portolan:${SECRET}`, PORTOLAN_ZK_AUTH_FILE: "/nonexistent" }, /PORTOLAN_ZK_AUTH and PORTOLAN_ZK_AUTH_FILE are both set/],
    ["file_empty_variable", { PORTOLAN_ZK_AUTH_FILE: "" }, /PORTOLAN_ZK_AUTH_FILE is set but empty/],
    ["file_missing", { PORTOLAN_ZK_AUTH_FILE: join(dir, "missing") }, /PORTOLAN_ZK_AUTH_FILE=.*missing: cannot be read \(ENOENT\)/],
    ["file_is_a_directory", { PORTOLAN_ZK_AUTH_FILE: dir }, /PORTOLAN_ZK_AUTH_FILE=.*: not a regular file/],
    ["file_empty", { PORTOLAN_ZK_AUTH_FILE: file("empty", "") }, /PORTOLAN_ZK_AUTH_FILE=.*empty is empty/],
    ["file_two_lines", { PORTOLAN_ZK_AUTH_FILE: file("two", `portolan:${SECRET}\nother:line\n`) }, /PORTOLAN_ZK_AUTH_FILE=.* contains a control character/],
    ["readers_without_auth", { PORTOLAN_ZK_READERS: "world:anyone" }, /PORTOLAN_ZK_READERS needs PORTOLAN_ZK_AUTH/],
    ["readers_empty", { PORTOLAN_ZK_AUTH: `portolan:${SECRET}`, PORTOLAN_ZK_READERS: "" }, /PORTOLAN_ZK_READERS is empty/],
    ["readers_unknown_scheme", { PORTOLAN_ZK_AUTH: `portolan:${SECRET}`, PORTOLAN_ZK_READERS: "auth:" }, /PORTOLAN_ZK_READERS "auth:": unknown or missing scheme/],
    ["readers_world_other", { PORTOLAN_ZK_AUTH: `portolan:${SECRET}`, PORTOLAN_ZK_READERS: "world:everyone" }, /world takes only "anyone"/],
    ["readers_digest_password", { PORTOLAN_ZK_AUTH: `portolan:${SECRET}`, PORTOLAN_ZK_READERS: "digest:reader:plainpw" }, /expected digest:USER:BASE64SHA1/],
    ["readers_empty_entry", { PORTOLAN_ZK_AUTH: `portolan:${SECRET}`, PORTOLAN_ZK_READERS: "world:anyone,,ip:10.0.0.1" }, /PORTOLAN_ZK_READERS has an empty entry/],
  ];
  refused.forEach(([name, env, message], i) =>
    it(`${i}_${name}`, () => {
      const parse = () => parseRegistryUri(URI, env);
      expect(parse).toThrow(RegistryUriError);
      expect(parse).toThrow(message);
      expect(parse).not.toThrow(SECRET);
    }),
  );
});

describe("ZooKeeper credential from the environment: taken", () => {
  it("0_inline: user and password split at the first ':', a ':' in the password kept; masked from then on", () => {
    const t = parseRegistryUri(URI, { PORTOLAN_ZK_AUTH: `portolan:${SECRET}:x` });
    expect(t).toMatchObject({ scheme: "zk", options: { auth: { user: "portolan", password: `${SECRET}:x`, source: "PORTOLAN_ZK_AUTH" } } });
    expect(redact(`password ${SECRET}:x here`)).not.toContain(SECRET);
  });

  it("1_file: one trailing line break dropped; the source names the file", () => {
    const p = file("ok", `portolan:${SECRET}\n`);
    const t = parseRegistryUri(URI, { PORTOLAN_ZK_AUTH_FILE: p });
    expect(t).toMatchObject({ options: { auth: { user: "portolan", password: SECRET, source: `PORTOLAN_ZK_AUTH_FILE=${p}` } } });
  });

  it("2_readers: a list, deduplicated", () => {
    const readers = "digest:reader:PWA9tNzHit6wGYSsMlTPD5TXLzI=, ip:10.0.0.0/8,ip:10.0.0.0/8";
    const t = parseRegistryUri(URI, { PORTOLAN_ZK_AUTH: `portolan:${SECRET}`, PORTOLAN_ZK_READERS: readers });
    expect(t).toMatchObject({ options: { readers: ["digest:reader:PWA9tNzHit6wGYSsMlTPD5TXLzI=", "ip:10.0.0.0/8"] } });
  });

  it("3_unset: no credential, no ACL (open nodes, as before)", () => {
    const t = parseRegistryUri(URI, {});
    expect(t).toEqual({ scheme: "zk", options: { connect: "127.0.0.1:21810", chroot: "/services", format: "curator", payload: "none" } });
    expect(resolveOptions({ connect: "a:1", format: "curator" }).acl).toBeUndefined();
  });
});

describe("ZooKeeper ACL of the nodes written", () => {
  const cred = { user: "portolan", password: "s3cret-pw" };
  it("0_digest id as ZooKeeper computes it (DigestAuthenticationProvider of zookeeper 3.8 gave this one)", () => {
    expect(digestId(cred)).toBe("portolan:PWA9tNzHit6wGYSsMlTPD5TXLzI=");
  });

  it("1_everything for this identity, read for world by default", () => {
    const acl = resolveOptions({ connect: "a:1", format: "curator", auth: cred }).acl!;
    expect(acl.map((a) => [permsOf(a), a.id.scheme, a.id.id])).toEqual([
      [Permission.ALL, "digest", "portolan:PWA9tNzHit6wGYSsMlTPD5TXLzI="],
      [Permission.READ, "world", "anyone"],
    ]);
  });

  it("2_configured readers instead of world; this identity named as a reader keeps everything", () => {
    const acl = aclFor(cred, ["digest:reader:AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "digest:portolan:PWA9tNzHit6wGYSsMlTPD5TXLzI="]);
    expect(acl.map((a) => [permsOf(a), `${a.id.scheme}:${a.id.id}`])).toEqual([
      [Permission.ALL, "digest:portolan:PWA9tNzHit6wGYSsMlTPD5TXLzI="],
      [Permission.READ, "digest:reader:AAAAAAAAAAAAAAAAAAAAAAAAAAA="],
    ]);
  });

  it("3_holders name identities without their digest hash", () => {
    const acl = aclFor(cred, ["world:anyone"]);
    expect(holders(acl, Permission.WRITE)).toBe("digest:portolan");
    expect(holders(acl, Permission.READ)).toBe("digest:portolan, world:anyone");
  });
});
