// Who may do what to the nodes portolan writes. With a digest credential: everything for this identity, read for
// the readers (world:anyone unless told otherwise); without one, ZooKeeper's open ACL (anyone may do anything).
// Pure: building only; the session sends the credential, the registry writes the ACL. The credential and reader
// parsers are in credential.ts, apart from the client's ACL classes: a URI is checked without loading the client.
import { ACL, Id, Permission } from "node-zookeeper-client";
import { digestId, type DigestCredential } from "./credential.js";

/** Everything for the credential's identity, read for each reader (a reader that is this identity keeps all). */
export function aclFor(c: DigestCredential, readers: readonly string[]): ACL[] {
  const own = digestId(c);
  const acl = [new ACL(Permission.ALL, new Id("digest", own))];
  for (const r of readers) {
    const colon = r.indexOf(":");
    const [scheme, id] = [r.slice(0, colon), r.slice(colon + 1)];
    if (scheme === "digest" && id === own) continue;
    acl.push(new ACL(Permission.READ, new Id(scheme, id)));
  }
  return acl;
}

/** An ACL entry's permission bits (node-zookeeper-client names them `permission`; its typings say `perms`). */
export function permsOf(a: ACL): number {
  return (a as unknown as { permission: number }).permission;
}

/** "digest:alice, world:anyone": the identities of `acl` holding `perm`, with digest hashes left out. */
export function holders(acl: readonly ACL[], perm: number): string {
  const names = acl
    .filter((a) => (permsOf(a) & perm) !== 0)
    .map((a) => (a.id.scheme === "digest" ? `digest:${a.id.id.slice(0, a.id.id.indexOf(":"))}` : `${a.id.scheme}:${a.id.id}`));
  return names.length > 0 ? names.join(", ") : "nobody";
}
