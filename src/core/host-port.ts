// HOST:PORT: one grammar for every flag and value that holds one, and one way to write an address back (IPv6
// bracketed). No node:net here: the render start-up path and the live page load this file too.
import { FlagError } from "./errors.js";

/** An IPv6 literal without brackets, as the WHATWG URL parser reads one. */
export function isIPv6(host: string): boolean {
  if (!host.includes(":") || /[[\]/?#@%\s]/.test(host)) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * `address:port`, IPv6 addresses bracketed (`[::1]:53`); without a port (an instance that has none: null) the
 * address alone, bracketed if IPv6.
 */
export function joinHostPort(address: string, port?: number | null): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return port === undefined || port === null ? host : `${host}:${port}`;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface HostPortRule {
  /** The port when the text gives none; without it a port is required. */
  defaultPort?: number;
  /** The host when the text gives none (`:8700`); without it a host is required. */
  defaultHost?: string;
  /** The lowest port the text may give (0: "any free port" where a server listens). */
  minPort?: number;
}

const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/**
 * "HOST:PORT" or "[IPV6]:PORT" (a bracketed host must be an IPv6 literal; any other host is a name or IPv4
 * address, no colon). Undefined when malformed or outside `rule`.
 */
export function splitHostPort(text: string, rule: HostPortRule = {}): HostPort | undefined {
  const m = /^\[([^\]]*)\](?::(\d{1,5}))?$/.exec(text) ?? /^([^:[\]]*)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const host = m[1] || rule.defaultHost;
  if (host === undefined || !(text.startsWith("[") ? isIPv6(host) : m[1] === "" || HOSTNAME.test(host))) return undefined;
  if (m[2] === undefined) return rule.defaultPort === undefined ? undefined : { host, port: rule.defaultPort };
  const port = Number(m[2]);
  return port >= (rule.minPort ?? 0) && port <= 65535 ? { host, port } : undefined;
}

/** splitHostPort for a flag: a FlagError naming it when the text does not parse. */
export function hostPortFlag(flag: string, text: string, rule: HostPortRule = {}): HostPort {
  const hp = splitHostPort(text.trim(), rule);
  if (hp) return hp;
  const forms = ["HOST:PORT", "[IPV6]:PORT", ...(rule.defaultPort !== undefined ? ["HOST"] : []), ...(rule.defaultHost !== undefined ? [":PORT"] : [])];
  throw new FlagError(flag, `expected ${forms.join(", ")}, got ${JSON.stringify(text)}`);
}
