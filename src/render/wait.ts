// `--wait tcp://host:port | http(s)://... | file://path`: block until every target is up, or fail naming
// the ones that are not. Each target is retried with capped, jittered backoff until the shared deadline.
// fs.promises is loaded on first use: importing node:fs/promises costs ~3 ms at every container start.
import { promises as fsp } from "node:fs";
import { redactUrlCredentials } from "../core/redact.js";
import { backoff, delay, type BackoffOptions } from "../core/util.js";
import { RenderUsageError, WaitTimeoutError } from "./run-errors.js";

export const DEFAULT_WAIT_TIMEOUT_MS = 60_000;
/** One probe (connect / request) never takes longer than this. */
export const PROBE_TIMEOUT_MS = 2_000;
export const WAIT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 2_000, jitter: 0.3 };

/** `uri` is what messages show: the target as given, credentials redacted (never the password). */
export type WaitTarget =
  | { kind: "tcp"; uri: string; host: string; port: number }
  | { kind: "http"; uri: string; url: string; authorization?: string }
  | { kind: "file"; uri: string; path: string };

/**
 * `http://user:password@host/` -> the URL without credentials and an `Authorization: Basic` header (fetch refuses
 * URLs that carry credentials). User and password are percent-decoded, as a browser does.
 */
function basicAuth(url: URL): string | undefined {
  if (url.username === "" && url.password === "") return undefined;
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    throw new RenderUsageError(`--wait ${redactUrlCredentials(url.href)}: malformed percent-encoding in the credentials`);
  }
  url.username = "";
  url.password = "";
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

/** Parses one `--wait` value; throws RenderUsageError for anything else. */
export function parseWaitTarget(given: string): WaitTarget {
  const uri = redactUrlCredentials(given);
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new RenderUsageError(`--wait ${JSON.stringify(uri)}: expected tcp://HOST:PORT, http(s)://URL or file:///PATH`);
  }
  switch (url.protocol) {
    case "tcp:": {
      const port = Number(url.port);
      if (!url.hostname || !Number.isInteger(port) || port < 1) throw new RenderUsageError(`--wait ${uri}: tcp:// needs HOST:PORT`);
      return { kind: "tcp", uri, host: url.hostname.replace(/^\[|\]$/g, ""), port };
    }
    case "http:":
    case "https:": {
      const authorization = basicAuth(url);
      return authorization ? { kind: "http", uri, url: url.href, authorization } : { kind: "http", uri, url: url.href };
    }
    case "file:":
      if (!url.pathname || url.pathname === "/") throw new RenderUsageError(`--wait ${uri}: file:// needs a path`);
      return { kind: "file", uri, path: decodeURIComponent(url.pathname) };
    default:
      throw new RenderUsageError(`--wait ${uri}: unsupported scheme ${url.protocol} (tcp, http, https, file)`);
  }
}

async function probeTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import("node:net"); // loaded only when --wait tcp:// is used (container-start cost)
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const fail = (err: Error) => {
      sock.destroy();
      reject(err);
    };
    sock.setTimeout(timeoutMs, () => fail(new Error("connect timed out")));
    sock.once("error", fail);
    sock.once("connect", () => {
      sock.destroy();
      resolve();
    });
  });
}

async function probeHttp(url: string, authorization: string | undefined, timeoutMs: number): Promise<void> {
  const headers = authorization ? { authorization } : undefined;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual", ...(headers && { headers }) });
  await res.body?.cancel();
  if (res.status >= 400) throw new Error(`HTTP ${res.status}`);
}

/** One attempt; resolves when the target is up. 2xx/3xx count as up for HTTP. */
export async function probe(t: WaitTarget, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  switch (t.kind) {
    case "tcp":
      return probeTcp(t.host, t.port, timeoutMs);
    case "http":
      return probeHttp(t.url, t.authorization, timeoutMs);
    case "file":
      return fsp.access(t.path);
  }
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called after each failed attempt (for debug logs). */
  onRetry?: (t: WaitTarget, attempt: number, err: string) => void;
  /** One attempt, given its time budget: the probe timeout, cut to what is left before the deadline. */
  probe?: (t: WaitTarget, timeoutMs: number) => Promise<void>;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (e.name === "TimeoutError") return "timed out"; // AbortSignal.timeout's DOMException (its numeric code means nothing here)
  return e.cause?.code ?? (typeof e.code === "string" ? e.code : undefined) ?? e.cause?.message ?? e.message ?? String(err);
}

/** Waits for all targets in parallel. Throws WaitTimeoutError naming every target that is still down. */
export async function waitForTargets(targets: WaitTarget[], opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const attempt = opts.probe ?? probe;
  // An attempt never runs past the deadline (a target that accepts and never answers would otherwise hold the
  // wait up to PROBE_TIMEOUT_MS beyond --wait-timeout).
  const run = (t: WaitTarget) => attempt(t, Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now())));
  const down: Array<{ target: string; lastError: string }> = [];
  await Promise.all(
    targets.map(async (t) => {
      let lastError: string;
      for (let attempt = 0; ; attempt++) {
        try {
          await run(t);
          return;
        } catch (err) {
          lastError = describe(err);
          opts.onRetry?.(t, attempt, lastError);
        }
        const left = deadline - Date.now();
        if (left <= 0 || opts.signal?.aborted) break;
        await delay(Math.min(left, backoff(attempt, WAIT_BACKOFF)), opts.signal);
      }
      down.push({ target: t.uri, lastError });
    }),
  );
  if (down.length > 0) throw new WaitTimeoutError({ timeoutMs: opts.timeoutMs, targets: down });
}
