// The ZooKeeper credential (PORTOLAN_ZK_AUTH, USER:PASSWORD) and readers (PORTOLAN_ZK_READERS) as text, checked
// and parsed. Pure, and free of the ZooKeeper client: registry-uri.ts checks every URI's settings up front, and
// checking them must not load a backend's client (acl.ts builds the client's ACL objects from what this returns).
import { crypto } from "../../src/core/lazy-builtins.js";
import { MIN_SECRET_LENGTH } from "../../src/core/redact.js";

export interface DigestCredential {
  user: string;
  password: string;
}

export const DEFAULT_READERS: readonly string[] = ["world:anyone"];

/** What is wrong with a `USER:PASSWORD` digest credential, or undefined. Never quotes the value (it is a secret). */
export function credentialProblem(text: string): string | undefined {
  if (text === "") return "is empty (expected USER:PASSWORD)";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) return "contains a control character (a line break?); expected one line USER:PASSWORD";
  const colon = text.indexOf(":");
  if (colon === -1) return "has no ':' (expected USER:PASSWORD)";
  const user = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (user === "") return "has an empty USER before ':' (expected USER:PASSWORD)";
  if (/\s/.test(user)) return "has white space in USER (expected USER:PASSWORD)";
  if (password === "") return "has an empty PASSWORD after ':' (expected USER:PASSWORD)";
  if (password.trim() !== password) return "has white space at the start or end of PASSWORD (a copy-paste left-over?)";
  if (password.length < MIN_SECRET_LENGTH) return `has a PASSWORD shorter than ${MIN_SECRET_LENGTH} characters (too short to mask in logs)`;
  return undefined;
}

/** Splits a credential that passed credentialProblem() at its first ':' (a user name has no ':'). */
export function parseCredential(text: string): DigestCredential {
  const colon = text.indexOf(":");
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** ZooKeeper's digest id of a credential: `USER:base64(sha1("USER:PASSWORD"))`, what the server records for it. */
export function digestId(c: DigestCredential): string {
  return `${c.user}:${crypto().createHash("sha1").update(`${c.user}:${c.password}`).digest("base64")}`;
}

const READER_FORMS = "world:anyone, digest:USER:BASE64SHA1 (as zkCli's setAcl takes it), ip:ADDRESS[/BITS] or sasl:NAME";

/** What is wrong with one reader id (`scheme:id`), or undefined. */
function readerIdProblem(id: string): string | undefined {
  const colon = id.indexOf(":");
  const scheme = colon === -1 ? id : id.slice(0, colon);
  const rest = colon === -1 ? "" : id.slice(colon + 1);
  switch (scheme) {
    case "world":
      return rest === "anyone" ? undefined : `${JSON.stringify(id)}: world takes only "anyone"`;
    case "digest":
      return /^[^\s:]+:[A-Za-z0-9+/]{27}=$/.test(rest) ? undefined : `${JSON.stringify(id)}: expected digest:USER:BASE64SHA1 (28 characters ending in "=")`;
    case "ip":
      return /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]*)(\/\d{1,3})?$/i.test(rest) ? undefined : `${JSON.stringify(id)}: expected ip:ADDRESS or ip:ADDRESS/BITS`;
    case "sasl":
      return /^\S+$/.test(rest) ? undefined : `${JSON.stringify(id)}: expected sasl:NAME`;
    default:
      return `${JSON.stringify(id)}: unknown or missing scheme (expected ${READER_FORMS})`;
  }
}

/** The readers of a comma-separated list, or the problem (the first one found). */
export function parseReaders(text: string): { readers: string[] } | { problem: string } {
  if (text.trim() === "") return { problem: `is empty (expected a comma-separated list of ${READER_FORMS})` };
  const readers = text.split(",").map((r) => r.trim());
  for (const r of readers) {
    if (r === "") return { problem: "has an empty entry (two commas, or one at an end)" };
    const problem = readerIdProblem(r);
    if (problem) return { problem };
  }
  return { readers: [...new Set(readers)] };
}

