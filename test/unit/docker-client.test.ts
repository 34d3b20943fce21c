import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getEventListeners } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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

describe("httpDockerPort: concurrent requests on one signal", () => {
  it("0_twenty inspects in flight put one abort listener on the caller's signal (Node warns past 10), and all abort with it", async () => {
    const held: Array<() => void> = [];
    const server = createServer((req, res) => held.push(() => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Id: req.url }))));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = httpDockerPort(dockerTarget({ DOCKER_HOST: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}` }));
      const stop = new AbortController();
      const all = Array.from({ length: 20 }, (_, i) => port.inspect(`c${i}`, stop.signal).then(
        () => "answered",
        (e: Error) => (e.name === "AbortError" ? "aborted" : "answered"), // the fake's answer is no full inspect
      ));
      while (held.length < 20) await new Promise((r) => setTimeout(r, 5));
      expect(getEventListeners(stop.signal, "abort").length).toBeLessThanOrEqual(1);
      held.slice(0, 5).forEach((answer) => answer());
      await Promise.all(all.slice(0, 5));
      stop.abort();
      expect(await Promise.all(all)).toEqual([...Array(5).fill("answered"), ...Array(15).fill("aborted")]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
