// Bearer-token check for the catalog server. Compared in constant time (over SHA-256 digests, so lengths never
// leak either); the token is never logged. The page gets it once through `/?token=…`, which sets an HttpOnly
// cookie, because a browser cannot put an Authorization header on a navigation or an EventSource.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const TOKEN_COOKIE = "portolan_token";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

export class TokenCheck {
  private readonly want: Buffer;

  constructor(token: string) {
    this.want = digest(token);
  }

  matches(candidate: string | undefined): boolean {
    // Always one digest and one comparison, whether or not a candidate came.
    const got = digest(candidate ?? "");
    return timingSafeEqual(got, this.want) && candidate !== undefined;
  }

  /** The request carries the token as `Authorization: Bearer …` or in the page's cookie. */
  allows(req: IncomingMessage): boolean {
    return this.matches(bearer(req) ?? cookie(req, TOKEN_COOKIE));
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return m?.[1];
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * The host name a request was addressed to (Host header or an absolute-form target's authority), without the
 * port and brackets; undefined when it carries none.
 */
export function hostName(authority: string | undefined): string | undefined {
  if (authority === undefined || authority === "") return undefined;
  const v6 = /^\[([^\]]*)\](?::\d*)?$/.exec(authority);
  if (v6) return v6[1];
  const colon = authority.lastIndexOf(":");
  return (colon >= 0 && authority.indexOf(":") === colon ? authority.slice(0, colon) : authority).replace(/\.$/, "");
}

/**
 * Whether a server without a token may answer a request addressed to `authority`: only loopback names.
 * Anything else is a DNS-rebinding page (evil.example resolving to 127.0.0.1) reading the catalog through the
 * operator's browser. A request without any host (HTTP/1.0) cannot come from a browser page and is allowed.
 */
export function loopbackAuthority(authority: string | undefined): boolean {
  const host = hostName(authority);
  return host === undefined || isLoopback(host);
}

/** Loopback addresses need no token; anything else does. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}
