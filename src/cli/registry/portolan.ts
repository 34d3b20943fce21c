// portolan://HOST:PORT: a running `portolan up`'s catalog API, its bearer token from PORTOLAN_CATALOG_TOKEN.
import { hostPortUrl, UriSettings, type Env } from "./settings.js";

export type PortolanTarget = { scheme: "portolan"; host: string; port: number; token?: string };

export function portolanTarget(uri: string, env: Env): PortolanTarget {
  const url = hostPortUrl(uri, "portolan://HOST:PORT", "token: PORTOLAN_CATALOG_TOKEN");
  const s = new UriSettings(uri, env);
  if (!url.port) s.fail("expected portolan://HOST:PORT");
  const token = s.token("PORTOLAN_CATALOG_TOKEN");
  return { scheme: "portolan", host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port), ...(token && { token }) };
}
