// eureka://H1:P1[,H2:P2…]/PATH and HTTP basic auth from EUREKA_USERNAME / EUREKA_PASSWORD.
import { parseEurekaUri, type EurekaUriOptions } from "../../../adapters/eureka/uri.js";
import { UriSettings, type Env } from "./settings.js";

export type EurekaTarget = { scheme: "eureka"; options: EurekaUriOptions & { username?: string; password?: string } };

export function eurekaTarget(uri: string, env: Env): EurekaTarget {
  const options = parseEurekaUri(uri);
  const s = new UriSettings(uri, env);
  const username = env["EUREKA_USERNAME"] || undefined;
  const password = s.token("EUREKA_PASSWORD");
  if ((username === undefined) !== (password === undefined)) s.fail("basic auth needs both EUREKA_USERNAME and EUREKA_PASSWORD");
  if (username !== undefined && !/^[\x21-\x39\x3b-\x7e]+$/.test(username)) s.fail("EUREKA_USERNAME: not visible ASCII, or contains ':'");
  return { scheme: "eureka", options: { ...options, ...(username && password && { username, password }) } };
}
