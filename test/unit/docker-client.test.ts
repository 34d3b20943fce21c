import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DockerHostError, dockerTarget, httpDockerPort, sinceParam } from "../../src/docker/client.js";

const certs = mkdtempSync(join(tmpdir(), "portolan-certs-"));
for (const f of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(certs, f), f);

const cases: Array<{ case: string; env: Record<string, string>; want?: object; tls?: boolean; error?: boolean }> = [
  { case: "default socket", env: {}, want: { socketPath: "/var/run/docker.sock" }, tls: false },
  { case: "unix socket", env: { DOCKER_HOST: "unix:///run/user/1000/docker.sock" }, want: { socketPath: "/run/user/1000/docker.sock" }, tls: false },
  { case: "tcp", env: { DOCKER_HOST: "tcp://127.0.0.1:2375" }, want: { host: "127.0.0.1", port: 2375 }, tls: false },
  { case: "tcp ipv6 default port", env: { DOCKER_HOST: "tcp://[::1]" }, want: { host: "::1", port: 2375 }, tls: false },
  { case: "tcp tls", env: { DOCKER_HOST: "tcp://127.0.0.1", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs }, want: { host: "127.0.0.1", port: 2376, rejectUnauthorized: true }, tls: true },
  { case: "ssh is refused", env: { DOCKER_HOST: "ssh://me@host" }, error: true },
  { case: "tls without certs", env: { DOCKER_HOST: "tcp://127.0.0.1", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/nonexistent" }, error: true },
];

describe("dockerTarget", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      if (c.error) {
        expect(() => dockerTarget(c.env)).toThrow(DockerHostError);
        return;
      }
      const t = dockerTarget(c.env);
      expect(t.base).toMatchObject(c.want!);
      expect(t.tls).toBe(c.tls);
    });
  });
});

describe("sinceParam", () => {
  it("0_seconds.nanoseconds, zero padded", () => {
    expect(sinceParam(1_700_000_000_000_000_123n)).toBe("1700000000.000000123");
    expect(sinceParam(5n)).toBe("0.000000005");
  });
});

describe("httpDockerPort", () => {
  it("0_many inspects in flight on one stop signal print no listener warning", async () => {
    // The registrator inspects up to its concurrency at once, all on its one stop signal. Node warned past 10
    // listeners (MaxListenersExceededWarning): a plain-text line in the JSON log on stderr, seen with 40 containers.
    const body = JSON.stringify({ Id: "c1", Name: "/web", State: { Running: true } });
    const server = createServer((_req, res) => setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(body), 50));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const port = httpDockerPort(dockerTarget({ DOCKER_HOST: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}` }));
      const stop = new AbortController();
      const got = await Promise.all(Array.from({ length: 32 }, () => port.inspect("c1", stop.signal)));
      expect(got.map((c) => c?.Id)).toEqual(Array(32).fill("c1"));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.map((w) => w.name)).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
