// A minimal Docker Engine API client for the calls the registrator makes (list, inspect, events, and the network
// list that `--network` is checked against),
// over node:http (node:https only for a TLS DOCKER_HOST). dockerode loads gRPC, protobufjs and ssh2 at require time (+13 MiB RSS measured on Node 20),
// which the registrator's memory budget cannot afford; tests and benchmarks still drive dockerd with dockerode.
// DOCKER_HOST: unix:///path (default /var/run/docker.sock) or tcp://HOST:PORT; with DOCKER_TLS_VERIFY=1 (or
// DOCKER_CERT_PATH set) tcp uses TLS with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker).
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { PortolanError, UsageError } from "../core/errors.js";
import { https } from "../core/lazy-builtins.js";
import { fanoutOf } from "../core/util.js";
import { ContainerTooLargeError, DockerAnswerError, MAX_INSPECT_CHARS, parseInspect } from "./answers.js";
import { ListIdScanner } from "./list-ids.js";
import { lines, type DockerEvent, type DockerPort } from "./engine.js";

export class DockerHostError extends UsageError {
  override name = "DockerHostError";
}

/** dockerd answered with an error status. */
export class DockerApiError extends PortolanError {
  override name = "DockerApiError";
  constructor(
    readonly statusCode: number,
    readonly path: string,
    message: string,
  ) {
    super(`docker ${path}: ${statusCode} ${message}`);
  }
}

export interface DockerTarget {
  base: RequestOptions;
  tls: boolean;
}

/** Where dockerd listens, from DOCKER_HOST & co. */
export function dockerTarget(env: Record<string, string | undefined> = process.env): DockerTarget {
  const host = env.DOCKER_HOST || "unix:///var/run/docker.sock";
  if (host.startsWith("unix://")) return { base: { socketPath: host.slice("unix://".length) }, tls: false };
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(host);
  if (!m) throw new DockerHostError(`DOCKER_HOST=${host}: expected unix:///path or tcp://HOST:PORT`);
  const tls = env.DOCKER_TLS_VERIFY === "1" || Boolean(env.DOCKER_CERT_PATH);
  const base: RequestOptions = { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2] ?? (tls ? 2376 : 2375)) };
  if (tls) {
    const dir = env.DOCKER_CERT_PATH || join(homedir(), ".docker");
    const read = (f: string) => {
      try {
        return readFileSync(join(dir, f));
      } catch (err) {
        throw new DockerHostError(`DOCKER_CERT_PATH: cannot read ${join(dir, f)}: ${(err as Error).message}`);
      }
    };
    Object.assign(base, { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem"), rejectUnauthorized: env.DOCKER_TLS_VERIFY === "1" });
  }
  return { base, tls };
}

/** dockerd did not answer within the time allowed (a hung engine, or DOCKER_HOST is not Docker): retried. */
export class DockerTimeoutError extends PortolanError {
  override name = "DockerTimeoutError";
  constructor(
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`docker ${path}: no answer within ${timeoutMs} ms`);
  }
}

/** How long a list or inspect may take, and how long the event stream may take to start, before it is retried. */
export const DEFAULT_DOCKER_TIMEOUT_MS = 30_000;

/**
 * GET `path`; resolves with the response once its headers are in. Until `until` settles (the body is read, or
 * only the headers for the event stream) the request is bounded by `timeoutMs`: then it is destroyed with a
 * DockerTimeoutError.
 */
function get(t: DockerTarget, path: string, timeoutMs: number, signal?: AbortSignal): { res: Promise<IncomingMessage>; done: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const res = new Promise<IncomingMessage>((resolve, reject) => {
    const req = (t.tls ? https().request : httpRequest)({ ...t.base, path, method: "GET", signal }, resolve);
    req.on("error", reject);
    timer = setTimeout(() => req.destroy(new DockerTimeoutError(path, timeoutMs)), timeoutMs);
    req.end();
  });
  return { res, done: () => clearTimeout(timer) };
}

/** The whole text of an answer; over `max` characters it is a DockerAnswerError (and the rest is not read). */
async function body(res: IncomingMessage, path: string, max: number): Promise<string> {
  res.setEncoding("utf8");
  const parts: string[] = [];
  let length = 0;
  for await (const chunk of res) {
    length += (chunk as string).length;
    if (length > max) {
      res.destroy();
      throw new DockerAnswerError(path, "body", `longer than ${max} characters`);
    }
    parts.push(chunk as string);
  }
  return parts.join("");
}

/**
 * GET `path` with a 200 answer: `read` gets the response; 404 is undefined; any other status a DockerApiError.
 * The answer is always read to its end or destroyed: an unread body (a 404's) kept the keep-alive connection to
 * dockerd referenced, which held the process past its stop. `signal` aborts the request (the registrator's stop).
 */
async function getOk<T>(t: DockerTarget, path: string, timeoutMs: number, read: (res: IncomingMessage) => Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  const own = signal && fanoutOf(signal).take();
  const { res: pending, done } = get(t, path, timeoutMs, own?.signal);
  let res: IncomingMessage | undefined;
  try {
    res = await pending;
    if (res.statusCode === 404) {
      await body(res, path, 64 * 1024).catch(() => {});
      return undefined;
    }
    if (res.statusCode !== 200) throw new DockerApiError(res.statusCode ?? 0, path, (await body(res, path, 64 * 1024)).trim().slice(0, 200));
    return await read(res);
  } finally {
    done();
    own?.release();
    if (res && !res.complete) res.destroy();
  }
}

/** The ids of the list, scanned as it streams in (labels are never kept). */
async function scanIds(res: IncomingMessage, path: string): Promise<string[]> {
  const scan = new ListIdScanner(path);
  res.setEncoding("utf8");
  for await (const chunk of res) scan.push(chunk as string);
  return scan.ids();
}

/** dockerd's `since` parameter: "seconds.nanoseconds". */
export function sinceParam(nano: bigint): string {
  return `${nano / 1_000_000_000n}.${String(nano % 1_000_000_000n).padStart(9, "0")}`;
}

/** Longest network list read (a few hundred bytes per network). */
const MAX_NETWORKS_CHARS = 16 * 1024 * 1024;

/** The names of every network dockerd has (GET /networks). */
export async function listNetworkNames(target: DockerTarget = dockerTarget(), timeoutMs = DEFAULT_DOCKER_TIMEOUT_MS): Promise<string[]> {
  const path = "/networks";
  const text = (await getOk(target, path, timeoutMs, (res) => body(res, path, MAX_NETWORKS_CHARS))) ?? "[]";
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new DockerAnswerError(path, "body", "not JSON");
  }
  if (!Array.isArray(list)) throw new DockerAnswerError(path, "body", "not a JSON array");
  return list.flatMap((n: unknown) => (typeof n === "object" && n !== null && typeof (n as { Name?: unknown }).Name === "string" ? [(n as { Name: string }).Name] : []));
}

export function httpDockerPort(target: DockerTarget = dockerTarget(), timeoutMs = DEFAULT_DOCKER_TIMEOUT_MS): DockerPort {
  return {
    async listRunning(signal) {
      const path = "/containers/json";
      return (await getOk(target, path, timeoutMs, (res) => scanIds(res, path), signal)) ?? [];
    },
    inspect(id, signal) {
      const path = `/containers/${encodeURIComponent(id)}/json`;
      return getOk(target, path, timeoutMs, async (res) => {
        const text = await body(res, path, MAX_INSPECT_CHARS).catch((err: unknown) => {
          throw err instanceof DockerAnswerError ? new ContainerTooLargeError(id, MAX_INSPECT_CHARS) : err;
        });
        return parseInspect(text, path);
      }, signal);
    },
    async events(sinceNano, signal) {
      const q = new URLSearchParams({ filters: JSON.stringify({ type: ["container", "network"] }) });
      if (sinceNano !== undefined) q.set("since", sinceParam(sinceNano));
      const path = `/events?${q}`;
      const { res: pending, done } = get(target, path, timeoutMs, signal);
      const res = await pending.finally(done);
      if (res.statusCode !== 200) throw new DockerApiError(res.statusCode ?? 0, path, (await body(res, path, 64 * 1024)).trim().slice(0, 200));
      return lines(res, signal);
    },
  };
}

export type { DockerEvent };
