// The grammar the server-list registry URIs share (zk://, eureka://): SCHEME://H1:P1[,H2:P2…][/PATH][?KEY=VALUE&…].
// Each adapter parses its own host list, path and values; this splits the URI and checks the query's shape.
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from "./util.js";

export interface ServerUriParts {
  /** Everything between the scheme and the first "/" ("h1:1,h2:2"). */
  hostList: string;
  /** From the first "/" on, "" without one; the query is not part of it. */
  path: string;
  params: Map<string, string>;
}

/** Splits `uri` (scheme compared case-insensitively); `fail` names what is wrong (a fragment, an unknown or repeated key). */
export function splitServerUri(uri: string, scheme: string, known: readonly string[], fail: (message: string) => never): ServerUriParts {
  if (uri.slice(0, scheme.length).toLowerCase() !== scheme) fail(`scheme must be ${scheme}`);
  let rest = uri.slice(scheme.length);
  if (rest.includes("#")) fail("a fragment (#) is not allowed");
  const q = rest.indexOf("?");
  const query = q === -1 ? "" : rest.slice(q + 1);
  rest = q === -1 ? rest : rest.slice(0, q);
  const slash = rest.indexOf("/");
  const params = new Map<string, string>();
  for (const pair of query === "" ? [] : query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) fail(`query parameter ${JSON.stringify(pair)} must be KEY=VALUE`);
    const key = pair.slice(0, eq);
    if (!known.includes(key)) fail(`unknown query parameter ${JSON.stringify(key)} (known: ${known.join(", ")})`);
    if (params.has(key)) fail(`query parameter ${JSON.stringify(key)} given twice`);
    params.set(key, pair.slice(eq + 1));
  }
  return { hostList: slash === -1 ? rest : rest.slice(0, slash), path: slash === -1 ? "" : rest.slice(slash), params };
}

/** A positive duration query parameter ("15s") in ms; `fail` names the key when it is not one or too long for a timer. */
export function durationParam(key: string, value: string, fail: (message: string) => never): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) return fail(`${key} ${JSON.stringify(value)} is not a positive duration like 15s`);
  if (ms > MAX_DURATION_MS) fail(`${key} ${JSON.stringify(value)} is longer than the maximum ${MAX_DURATION_TEXT}`);
  return ms;
}
