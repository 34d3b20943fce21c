// Helpers for the catalog's integration tests: a `portolan up` / `catalog serve` process on a 127.0.0.1 port of
// this area's range (18700-18799), JSON GETs, and an SSE reader built on the portolan adapter's parser.
import { HOST_LABEL, startDockerView, type DockerView } from "./docker-view.js";
import { request } from "node:http";
import { SseParser, type SseEvent } from "../../adapters/portolan/sse.js";
import { startCli, type Running } from "./cli.js";
import { eventually, removeTestContainers } from "./docker.js";

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = unknown>(): T;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on("error", reject);
    req.end();
  });
}

/** Starts `portolan <args>` and waits until its catalog answers /healthz 200 at `base`. */
export async function startServing(base: string, args: string[], env: Record<string, string> = {}): Promise<Running> {
  const p = startCli(args, env);
  await eventually(`${base}/healthz answering 200 (${args.join(" ")})`, async () => {
    if (p.proc.exitCode !== null) throw new Error(`exited ${p.proc.exitCode}: ${p.logs()}`);
    return (await get(`${base}/healthz`)).status === 200;
  }, 30_000, 100);
  return p;
}

export async function stopProcess(p: Running | undefined): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill("SIGTERM");
  const t = setTimeout(() => p.proc.kill("SIGKILL"), 10_000);
  await p.exited;
  clearTimeout(t);
}

/** An open /v1/events stream collecting every event. */
export interface EventReader {
  events: SseEvent[];
  /** Resolves with the first collected event (from index `from`) that `pred` accepts. */
  wait(what: string, pred: (e: SseEvent) => boolean, from?: number, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export function openEvents(url: string, headers: Record<string, string> = {}): Promise<EventReader> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const parser = new SseParser();
    const req = request(url, { headers: { accept: "text/event-stream", ...headers } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
      res.setEncoding("utf8").on("data", (d: string) => events.push(...parser.push(d)));
      resolve({
        events,
        async wait(what, pred, from = 0, timeoutMs = 15_000) {
          return eventually(what, () => events.slice(from).find(pred), timeoutMs);
        },
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.end();
  });
}

export interface ChangeData {
  added: { id: string; name: string }[];
  changed: { id: string }[];
  removed: string[];
}

export const changeOf = (e: SseEvent): ChangeData | undefined => (e.event === "change" ? (JSON.parse(e.data) as ChangeData) : undefined);

/**
 * Two hosts of one fleet over one backend: a registrator for `owner` ("host A") and a `catalog serve` of the same
 * `uri` on `port` ("host B"); `stop()` ends both and removes the test containers.
 */
export function fleetPair(uri: string, owner: string, port: number) {
  const procs: { registrator?: Running; serve?: Running } = {};
  let view: DockerView | undefined;
  return {
    base: `http://127.0.0.1:${port}`,
    procs,
    /** The label a container needs to be seen by this pair's registrator (it sees no other suite's containers). */
    labels: { [HOST_LABEL]: owner },
    async start(): Promise<void> {
      view = await startDockerView(owner);
      procs.registrator = startCli(["registrator", "--hostname", owner, "--resync", "0", "--retry-interval", "100", "--deregister-on-exit", "--log-format", "json", uri], { DOCKER_HOST: view.dockerHost });
      procs.serve = await startServing(`http://127.0.0.1:${port}`, ["catalog", "serve", "--registry", uri, "--listen", `127.0.0.1:${port}`, "--log-format", "json"]);
    },
    /** The last lines of both processes' logs (for a failure's message). */
    logs: () => `registrator: ${procs.registrator?.logs().slice(-3000)}\nserve: ${procs.serve?.logs().slice(-2000)}`,
    async stop(): Promise<void> {
      await stopProcess(procs.serve);
      await stopProcess(procs.registrator);
      await view?.close();
      await removeTestContainers();
    },
  };
}
