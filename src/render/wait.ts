// `--wait tcp://host:port | http(s)://... | file://path`: block until every target is up, or fail naming
// the ones that are not. Each target is retried with capped, jittered backoff until the shared deadline.
// fs.promises is loaded on first use: importing node:fs/promises costs ~3 ms at every container start.
import { promises as fsp } from "node:fs";
import { REAL_CLOCK, type Clock } from "../core/clock.js";
import { redactUrlCredentials } from "../core/redact.js";
import { backoff, type BackoffOptions } from "../core/util.js";
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
    sock.setTimeout(timeoutMs, () => fail(Object.assign(new Error("connect timed out"), { name: "TimeoutError" })));
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
  /** Deadline and backoff sleeps (a fake one in tests). */
  clock?: Clock;
}

/** The attempt ran out of its time budget (fetch's AbortSignal.timeout, the TCP connect timer). */
function isTimeout(err: unknown): boolean {
  return (err as Error | undefined)?.name === "TimeoutError";
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (isTimeout(err)) return "timed out"; // AbortSignal.timeout's DOMException (its numeric code means nothing here)
  return e.cause?.code ?? (typeof e.code === "string" ? e.code : undefined) ?? e.cause?.message ?? e.message ?? String(err);
}

/**
 * Waits for all targets in parallel. Throws WaitTimeoutError naming every target that is still down, each with the
 * last real reason: an attempt whose budget the deadline cut short and that ran out of it says nothing about the
 * target (a 404 that takes 3 ms cannot answer within the last 1 ms), so it never replaces what an earlier attempt saw.
 */
export async function waitForTargets(targets: WaitTarget[], opts: WaitOptions): Promise<void> {
  const clock = opts.clock ?? REAL_CLOCK;
  const deadline = clock.now() + opts.timeoutMs;
  const attempt = opts.probe ?? probe;
  const down: Array<{ target: string; lastError: string }> = [];
  await Promise.all(
    targets.map(async (t) => {
      let lastError: string | undefined;
      for (let n = 0; ; n++) {
        // An attempt never runs past the deadline (a target that accepts and never answers would otherwise hold the
        // wait up to PROBE_TIMEOUT_MS beyond --wait-timeout).
        const budget = Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - clock.now()));
        try {
          await attempt(t, budget);
          return;
        } catch (err) {
          const reason = describe(err);
          if (lastError === undefined || !(isTimeout(err) && budget < PROBE_TIMEOUT_MS)) lastError = reason;
          opts.onRetry?.(t, n, reason);
        }
        const left = deadline - clock.now();
        if (left <= 0 || opts.signal?.aborted) break;
        await clock.sleep(Math.min(left, backoff(n, WAIT_BACKOFF)), opts.signal);
      }
      down.push({ target: t.uri, lastError: lastError ?? "not ready" });
    }),
  );
  if (down.length > 0) throw new WaitTimeoutError({ timeoutMs: opts.timeoutMs, targets: down });
}
