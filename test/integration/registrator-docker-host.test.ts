// DOCKER_HOST pointing at something that is not a well-behaved dockerd (a loopback HTTP server started here):
// a hung or garbage-answering engine is a logged, retried Docker error, never a silent stall or a crash.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DockerTimeoutError, httpDockerPort } from "../../src/docker/client.js";
import { startCli, type Running } from "./cli.js";
import { container } from "../unit/fixtures/fake-docker.js";
import { eventually } from "./docker.js";

let server: Server | undefined;
let proc: Running | undefined;

afterEach(async () => {
  if (proc && proc.proc.exitCode === null) proc.proc.kill("SIGKILL");
  proc = undefined;
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A loopback HTTP server on a free port; `handle` answers (or never answers) every request. */
async function fakeEngine(handle: Parameters<typeof createServer>[1]): Promise<number> {
  server = createServer(handle);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

describe("a Docker engine that never answers", () => {
  const silent: Array<{ case: string; call: (p: ReturnType<typeof httpDockerPort>) => Promise<unknown> }> = [
    { case: "list", call: (p) => p.listRunning() },
    { case: "inspect", call: (p) => p.inspect("c1") },
    { case: "events", call: (p) => p.events(undefined, new AbortController().signal) },
  ];
  silent.forEach((c, i) => {
    it(`${i}_${c.case} fails with DockerTimeoutError instead of waiting forever`, async () => {
      const port = await fakeEngine(() => {});
      const docker = httpDockerPort({ base: { host: "127.0.0.1", port }, tls: false }, 300);
      await expect(c.call(docker)).rejects.toBeInstanceOf(DockerTimeoutError);
    });
  });

  it(`${silent.length}_a body that never ends fails too`, async () => {
    const port = await fakeEngine((_req, res) => {
      res.writeHead(200);
      res.write("[");
    });
    const docker = httpDockerPort({ base: { host: "127.0.0.1", port }, tls: false }, 300);
    await expect(docker.listRunning()).rejects.toBeInstanceOf(Error);
  });
});

describe("portolan registrator against an engine that answers odd JSON", () => {
  const odd: Array<{ case: string; inspect: unknown }> = [
    { case: "State null", inspect: { Id: "c1", Name: "/x", Config: null, State: null } },
    { case: "Name a number", inspect: { Id: "c1", Name: 5, Config: { Labels: {} }, State: { Running: true } } },
  ];
  odd.forEach((c, i) => {
    it(`${i}_${c.case}: logs a Docker error and keeps running (was exit 70 with a stack)`, async () => {
      const port = await fakeEngine((req, res) => {
        if (req.url!.startsWith("/events")) {
          res.writeHead(200).flushHeaders();
          return;
        }
        res.writeHead(200).end(JSON.stringify(req.url!.startsWith("/containers/json") ? [{ Id: "c1" }] : c.inspect));
      });
      proc = startCli(["registrator", "--log-format", "json", "--hostname", "odd", "--retry-interval", "50", "memory:"], { DOCKER_HOST: `tcp://127.0.0.1:${port}` });
      await eventually("a DockerAnswerError logged", () => proc!.logs().includes("DockerAnswerError"));
      expect(proc.proc.exitCode).toBeNull();
      proc.proc.kill("SIGTERM");
      expect((await proc.exited).code).toBe(0);
      expect(proc.logs()).not.toContain("internal error");
    });
  });
});

describe("portolan registrator against an engine that answers 500 to one container's inspect, for ever", () => {
  it("0_the other containers register and every resync finishes; the failing one is retried on its own", async () => {
    let inspectsOfBad = 0;
    const port = await fakeEngine((req, res) => {
      const url = req.url!;
      if (url.startsWith("/events")) return void res.writeHead(200).flushHeaders();
      if (url.startsWith("/containers/json")) return void res.writeHead(200).end(JSON.stringify([{ Id: "bad" }, { Id: "good" }]));
      if (url.startsWith("/containers/bad/")) {
        inspectsOfBad++;
        return void res.writeHead(500).end(JSON.stringify({ message: "layer store broken" }));
      }
      res.writeHead(200).end(JSON.stringify(container("good", "good")));
    });
    proc = startCli(["registrator", "--log-format", "json", "--hostname", "h500", "--retry-interval", "50", "--resync", "1s", "memory:"], {
      DOCKER_HOST: `tcp://127.0.0.1:${port}`,
    });
    await eventually("good registered", () => /"id":"h500:good:80".*"msg":"registered"/.test(proc!.logs()));
    await eventually("two resyncs done", () => (proc!.logs().match(/"msg":"resync done"/g) ?? []).length >= 2);
    expect(inspectsOfBad).toBeGreaterThan(2);
    expect(proc.logs()).toContain("DockerApiError: docker /containers/bad/json: 500");
    proc.proc.kill("SIGTERM");
    expect((await proc.exited).code).toBe(0);
  });
});

describe("the Docker client hands every connection back", () => {
  it("0_a 404 answer's body is read: its keep-alive connection is reused, not left referenced (it held the stop)", async () => {
    let connections = 0;
    const port = await fakeEngine((_req, res) => res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "No such container: gone" })));
    server!.on("connection", () => connections++);
    const docker = httpDockerPort({ base: { host: "127.0.0.1", port }, tls: false }, 5_000);
    for (let n = 0; n < 3; n++) expect(await docker.inspect("gone")).toBeUndefined();
    expect(connections).toBe(1);
  });

  it("1_an aborted inspect or list rejects at once", async () => {
    const port = await fakeEngine(() => {});
    const docker = httpDockerPort({ base: { host: "127.0.0.1", port }, tls: false }, 30_000);
    for (const call of [(s: AbortSignal) => docker.inspect("c1", s), (s: AbortSignal) => docker.listRunning(s)]) {
      const stop = new AbortController();
      const pending = call(stop.signal);
      setTimeout(() => stop.abort(), 100);
      const t0 = Date.now();
      await expect(pending).rejects.toBeInstanceOf(Error);
      expect(Date.now() - t0).toBeLessThan(1_000);
    }
  });
});

describe("portolan registrator stopped while dockerd hangs on one inspect, or one container is in backoff", () => {
  const cases: Array<{ case: string; answer: "hang" | 500 }> = [
    { case: "an inspect in flight that never answers (was: held the stop until --shutdown-timeout + 1 s)", answer: "hang" },
    { case: "a container in backoff after a 500 (guard)", answer: 500 },
  ];
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: SIGTERM exits 0 within a second`, async () => {
      let asked = false;
      const port = await fakeEngine((req, res) => {
        const url = req.url!;
        if (url.startsWith("/events")) return void res.writeHead(200).flushHeaders();
        if (url.startsWith("/containers/json")) return void res.writeHead(200).end(JSON.stringify([{ Id: "stuck" }]));
        asked = true;
        if (c.answer === 500) res.writeHead(500).end(JSON.stringify({ message: "layer store broken" }));
      });
      proc = startCli(["registrator", "--log-format", "json", "--hostname", "hung", "--retry-interval", "5s", "--shutdown-timeout", "4s", "memory:"], {
        DOCKER_HOST: `tcp://127.0.0.1:${port}`,
      });
      await eventually("the inspect asked", () => asked);
      await new Promise((r) => setTimeout(r, 300));
      const sent = Date.now();
      proc.proc.kill("SIGTERM");
      const end = await Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(r, 6_000))]);
      expect(end, proc.logs()).toBeDefined();
      expect(end!.code).toBe(0);
      expect(Date.now() - sent, proc.logs()).toBeLessThan(1_000);
      expect(proc.logs()).not.toContain("shutdown timeout reached");
    });
  });
});
