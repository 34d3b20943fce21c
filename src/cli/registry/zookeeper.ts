// zk://H1:P1,H2:P2/CHROOT and ZooKeeper's digest credential: PORTOLAN_ZK_AUTH=USER:PASSWORD, or
// PORTOLAN_ZK_AUTH_FILE naming a file holding it, and the readers its ACL lets read (PORTOLAN_ZK_READERS). Never
// taken from the URI, never quoted in a message, masked in every line from here on. Unset: no credential, nodes
// written open as before. Set but empty or malformed: one RegistryUriError naming the variable.
import { credentialProblem, parseCredential, parseReaders } from "../../../adapters/zookeeper/credential.js";
import type { ZooKeeperOptions } from "../../../adapters/zookeeper/options.js";
import { parseZooKeeperUri } from "../../../adapters/zookeeper/uri.js";
import { MIN_SECRET_LENGTH } from "../../core/redact.js";
import { UriSettings, type Env } from "./settings.js";

/** The biggest credential file read (one line USER:PASSWORD). */
const MAX_CREDENTIAL_BYTES = 4096;

export type ZooKeeperTarget = { scheme: "zk"; options: ZooKeeperOptions };

export function zooKeeperTarget(uri: string, env: Env): ZooKeeperTarget {
  return { scheme: "zk", options: { ...parseZooKeeperUri(uri), ...access(new UriSettings(uri, env)) } };
}

function access(s: UriSettings): Pick<ZooKeeperOptions, "auth" | "readers"> {
  const readersText = s.env.PORTOLAN_ZK_READERS;
  const credential = s.valueOrFile("PORTOLAN_ZK_AUTH", "USER:PASSWORD", { maxBytes: MAX_CREDENTIAL_BYTES, tooBig: "not one USER:PASSWORD line" });
  if (credential === undefined) {
    if (readersText !== undefined) s.fail("PORTOLAN_ZK_READERS needs PORTOLAN_ZK_AUTH or PORTOLAN_ZK_AUTH_FILE (without a credential every node is open to all)");
    return {};
  }
  const { text, source } = credential;
  // Masked before it is checked (a short one would mask random text: the check refuses those).
  for (const secret of [text, text.slice(text.indexOf(":") + 1)]) if (secret.length >= MIN_SECRET_LENGTH) s.mask(secret);
  const problem = credentialProblem(text);
  if (problem) s.fail(`${source} ${problem}`);
  const auth = { ...parseCredential(text), source };
  if (readersText === undefined) return { auth };
  const readers = parseReaders(readersText);
  if ("problem" in readers) return s.fail(`PORTOLAN_ZK_READERS ${readers.problem}`);
  return { auth, readers: readers.readers };
}
