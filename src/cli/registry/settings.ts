// How a registry URI's settings are read from the environment, for every backend alike: a variable's value (or a
// file it names) checked now, before any effect; a refusal is one RegistryUriError naming the variable (never a
// secret's value); secrets are masked in every line this process writes from the moment they are read.
import { readFileSync, statSync } from "node:fs";
import { RegistryUriError } from "../../core/errors.js";
import { addSecrets } from "../../core/output.js";
import { secretForms } from "../../core/redact.js";

export type Env = Record<string, string | undefined>;

/** The biggest PEM file read (a CA bundle is a few hundred KiB). */
const MAX_PEM_BYTES = 1024 * 1024;

/** A value and where it came from (`NAME`, or `NAME_FILE=path`), for messages. */
export interface Sourced {
  text: string;
  source: string;
}

/** A file read for a setting: at most `maxBytes` (else "over N bytes: `tooBig`"). */
export interface FileLimit {
  maxBytes: number;
  tooBig: string;
}

/** The environment settings of one registry URI. */
export class UriSettings {
  constructor(
    readonly uri: string,
    readonly env: Env,
  ) {}

  fail(message: string): never {
    throw new RegistryUriError({ uri: this.uri, message });
  }

  /** Masks `secret` (and its encoded forms) in every line written from now on. */
  mask(secret: string): void {
    addSecrets(secretForms(secret));
  }

  /** A token sent in a header (unset or empty: none), masked; anything but visible ASCII is refused (it would fail every request, retried for ever). */
  token(name: string): string | undefined {
    const value = this.env[name] || undefined;
    if (value) this.mask(value);
    if (value && !/^[\x21-\x7e]+$/.test(value)) this.fail(`${name}: not visible ASCII (a space, newline or control character?)`);
    return value;
  }

  /**
   * `NAME` itself, or the content of the file `NAME_FILE` names (one trailing line break dropped); both set is
   * refused, and so is an empty `NAME_FILE` (`expected` says what the file holds). Unset: undefined.
   */
  valueOrFile(name: string, expected: string, limit: FileLimit): Sourced | undefined {
    const [inline, file] = [this.env[name], this.env[`${name}_FILE`]];
    if (inline !== undefined && file !== undefined) this.fail(`${name} and ${name}_FILE are both set: set one of them`);
    if (file === undefined) return inline === undefined ? undefined : { text: inline, source: name };
    if (file === "") this.fail(`${name}_FILE is set but empty (expected the path of a file holding ${expected})`);
    const source = `${name}_FILE=${file}`;
    return { text: this.readFile(source, file, limit).replace(/\r?\n$/, ""), source };
  }

  /**
   * A PEM setting: PEM text as is, or a file path read now (so a missing or wrong file is a usage error before any
   * effect, never an internal error after `--wait`). A key's value (`isKey`) is never put in a message: what is
   * not a readable file may be key material in another encoding.
   */
  pem(name: string, isKey = false): string | undefined {
    const value = this.env[name];
    if (!value) return undefined;
    if (value.includes("-----BEGIN ")) return value;
    const shown = isKey ? name : `${name}=${value}`;
    const text = this.readFile(shown, value, { maxBytes: MAX_PEM_BYTES, tooBig: "not a PEM file" });
    if (!text.includes("-----BEGIN ")) this.fail(`${shown}: not a PEM file (no "-----BEGIN" line)`);
    return text;
  }

  /** A regular file of at most `limit.maxBytes`; a refusal says `shown: why`. */
  private readFile(shown: string, path: string, limit: FileLimit): string {
    const fail = (why: string): never => this.fail(`${shown}: ${why}`);
    try {
      const st = statSync(path);
      if (!st.isFile()) fail("not a regular file");
      if (st.size > limit.maxBytes) fail(`over ${limit.maxBytes} bytes: ${limit.tooBig}`);
      return readFileSync(path, "utf8");
    } catch (err) {
      if (err instanceof RegistryUriError) throw err;
      return fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
}

/** A `scheme://HOST[:PORT]` URI: no path, query, fragment or credentials (each refused, naming where settings go). */
export function hostPortUrl(uri: string, form: string, settings: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new RegistryUriError({ uri, message: "not a valid URI" });
  }
  if (!url.hostname) throw new RegistryUriError({ uri, message: `missing HOST (${form})` });
  if (url.pathname && url.pathname !== "/") throw new RegistryUriError({ uri, message: `unexpected path ${url.pathname} (${form})` });
  if (url.search !== "" || uri.includes("?")) throw new RegistryUriError({ uri, message: `takes no query parameters (${settings})` });
  if (url.hash !== "" || uri.includes("#")) throw new RegistryUriError({ uri, message: "a fragment (#) is not allowed" });
  if (url.username !== "" || url.password !== "") {
    throw new RegistryUriError({ uri: uri.replace(/\/\/[^@/]*@/, "//[redacted]@"), message: `credentials in the URI are not supported (${settings})` });
  }
  return url;
}
