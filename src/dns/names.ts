// Consul's query forms (pure): what a lower-case question name asks for.
//   [TAG.]NAME.service[.DC].DOMAIN   _NAME._TAG.service[.DC].DOMAIN   _NAME._tcp.service[.DC].DOMAIN
//   <hex-ip>.addr[.DC].DOMAIN        DOMAIN (apex: SOA, NS)           reverse names under in-addr.arpa / ip6.arpa
import { isIP } from "node:net";

export type QueryForm =
  | { kind: "service"; service: string; tag: string | undefined }
  | { kind: "addr"; address: string; family: 4 | 6 }
  | { kind: "apex" }
  | { kind: "ptr"; address: string }
  /** Inside the domain but not a form we answer (unknown datacenter, node lookups, bad hex…). */
  | { kind: "nxdomain" }
  /** Not under the domain nor a reverse name: REFUSED, or forwarded to a recursor. */
  | { kind: "outside" };

export interface NameOptions {
  /** Lower-case, no dots at either end ("consul"). */
  domain: string;
  datacenter: string;
}

const QUERY_TYPES = new Set(["service", "addr", "node", "query", "connect", "ingress", "virtual"]);

export function parseQueryName(name: string, opts: NameOptions): QueryForm {
  if (name === opts.domain) return { kind: "apex" };
  if (!name.endsWith(`.${opts.domain}`)) {
    const address = reverseAddress(name);
    return address !== undefined ? { kind: "ptr", address } : { kind: "outside" };
  }
  const labels = name.slice(0, -opts.domain.length - 1).split(".");
  let at = labels.length - 1;
  if (!QUERY_TYPES.has(labels[at]!)) {
    // The last label is a datacenter: only ours exists.
    at--;
    if (at < 0 || !QUERY_TYPES.has(labels[at]!) || labels[labels.length - 1] !== opts.datacenter) return { kind: "nxdomain" };
  }
  const parts = labels.slice(0, at);
  switch (labels[at]) {
    case "service":
      return serviceForm(parts);
    case "addr":
      return parts.length === 1 ? addrForm(parts[0]!) : { kind: "nxdomain" };
    default:
      return { kind: "nxdomain" };
  }
}

function serviceForm(parts: string[]): QueryForm {
  if (parts.length === 0 || parts.some((p) => p === "")) return { kind: "nxdomain" };
  if (parts.length === 2 && parts[0]!.startsWith("_") && parts[1]!.startsWith("_")) {
    // RFC 2782: _NAME._PROTO-or-TAG; "_tcp" means any instance.
    const tag = parts[1]!.slice(1);
    return { kind: "service", service: parts[0]!.slice(1), tag: tag === "tcp" ? undefined : tag };
  }
  if (parts.length === 1) return { kind: "service", service: parts[0]!, tag: undefined };
  return { kind: "service", service: parts[parts.length - 1]!, tag: parts.slice(0, -1).join(".") };
}

function addrForm(hex: string): QueryForm {
  if (!/^[0-9a-f]+$/.test(hex)) return { kind: "nxdomain" };
  if (hex.length === 8) {
    const bytes = hex.match(/../g)!.map((h) => parseInt(h, 16));
    return { kind: "addr", address: bytes.join("."), family: 4 };
  }
  if (hex.length === 32) {
    const groups = hex.match(/.{4}/g)!.map((h) => parseInt(h, 16).toString(16));
    return { kind: "addr", address: canonicalAddress(groups.join(":")), family: 6 };
  }
  return { kind: "nxdomain" };
}

/** The address a reverse name stands for ("4.3.2.1.in-addr.arpa" -> "1.2.3.4"), or undefined. */
function reverseAddress(name: string): string | undefined {
  if (name.endsWith(".in-addr.arpa")) {
    const parts = name.slice(0, -".in-addr.arpa".length).split(".");
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) < 256)) return undefined;
    return parts.reverse().join(".");
  }
  if (name.endsWith(".ip6.arpa")) {
    const nibbles = name.slice(0, -".ip6.arpa".length).split(".");
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join("");
    return canonicalAddress(hex.match(/.{4}/g)!.join(":"));
  }
  return undefined;
}

/** One spelling per address, so instance addresses and query forms compare equal ("::1" for "0:0:…:1"). */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  const words = expandIpv6(address);
  // RFC 5952: compress the longest run (>= 2) of zero words.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** The 8 words of an IPv6 address (also with an embedded IPv4 tail). */
export function expandIpv6(address: string): number[] {
  let text = address.replace(/%.*$/, "");
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill("0");
  return [...h, ...zeros, ...t].map((w) => parseInt(w, 16));
}

const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/**
 * Whether a backend's non-IP address can be written as an SRV target: a host name of labels of 1-63 letters,
 * digits, "-" or "_", at most 253 characters (one trailing dot allowed). Anything else (an empty or 64-byte label,
 * spaces, escapes) would make the whole answer malformed for every client.
 */
export function isHostName(address: string): boolean {
  const name = address.endsWith(".") ? address.slice(0, -1) : address;
  return name.length > 0 && name.length <= 253 && name.split(".").every((l) => HOST_LABEL.test(l));
}

/** `<hex>.addr.DC.DOMAIN` name of an address (Consul's SRV target form). */
export function addrName(address: string, opts: NameOptions): string {
  const hex =
    isIP(address) === 4
      ? address
          .split(".")
          .map((b) => Number(b).toString(16).padStart(2, "0"))
          .join("")
      : expandIpv6(address)
          .map((w) => w.toString(16).padStart(4, "0"))
          .join("");
  return `${hex}.addr.${opts.datacenter}.${opts.domain}`;
}
