// portolan:// when the server refuses us or is not there, for every command that reads it (catalog, render, exec
// --watch, dns, catalog serve), as real processes: a refused PORTOLAN_CATALOG_TOKEN is a configuration error at
// once (exit 78 naming the variable, never its value); a refused connection is said at once with the address
// (one-shot catalog: exit 69; long-running readers keep retrying and log why). render and exec run through
// bin/portolan, the container-start bundle, as users and images do.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CONFIG } from "../../src/core/exit-codes.js";
import { EXIT_UNAVAILABLE } from "../../src/core/exit-codes.js";
import { assertBuilt, CLI, startCli, type Running } from "./cli.js";
import { eventually } from "./docker.js";
import { stopProcess } from "./catalog-support.js";

const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const TOKEN = "access-test-token-7f3a9c";
const WRONG = "wrong-token-b81e42d5";

/** One run to its end, without blocking this process (servers of some tests answer from here). */
export function runAsync(cmd: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; out: string; ms: number }> {
  assertBuilt();
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.on("close", (code) => resolve({ code, out, ms: Date.now() - t0 }));
  });
}

/** A loopback port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

let dir: string;
let server: Running | undefined;
let uri = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "portolan-access-"));
  await writeFile(join(dir, "t.tmpl"), "{{#services.web}}{{address}}{{/services.web}}\n");
  server = startCli(["catalog", "serve", "--registry", "memory:", "--listen", "127.0.0.1:0", "--token", TOKEN, "--log-format", "json"]);
  const port = await eventually("catalog serve listening", () => /catalog listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(server!.logs())?.[1], 20_000);
  uri = `portolan://127.0.0.1:${port}`;
});

afterAll(async () => {
  await stopProcess(server);
  await rm(dir, { recursive: true, force: true });
});

/** Every command that reads portolan://, as a user types it (render/exec through bin/portolan). */
const commands: Array<[string, () => string[]]> = [
  ["catalog", () => [process.execPath, CLI, "catalog", "--registry", uri]],
  ["catalog service", () => [process.execPath, CLI, "catalog", "service", "web", "--registry", uri]],
  ["render", () => [BIN, "render", "--registry", uri, "--template", `${join(dir, "t.tmpl")}:${join(dir, "out")}`]],
  ["exec --watch", () => [BIN, "exec", "--watch", "--registry", uri, "--template", `${join(dir, "t.tmpl")}:${join(dir, "out")}`, "--", "sleep", "60"]],
  ["dns", () => [process.execPath, CLI, "dns", "--registry", uri, "--listen", "127.0.0.1:0"]],
  ["catalog serve", () => [process.execPath, CLI, "catalog", "serve", "--registry", uri, "--listen", "127.0.0.1:0"]],
];

describe("portolan:// refuses the token: exit 78 at once, naming PORTOLAN_CATALOG_TOKEN, never its value", () => {
  const tokens: Array<[string, Record<string, string>]> = [
    ["no token", { PORTOLAN_CATALOG_TOKEN: "" }],
    ["a wrong token", { PORTOLAN_CATALOG_TOKEN: WRONG }],
  ];
  let i = 0;
  for (const [what, env] of tokens) {
    for (const [name, cmd] of commands) {
      it(`${i++}_${name} with ${what}`, async () => {
        const r = await runAsync(cmd(), env);
        expect(r.code, r.out).toBe(EXIT_CONFIG);
        expect(r.ms, r.out).toBeLessThan(8_000); // was: 10 s (catalog), --wait-timeout (render), never (dns, serve)
        expect(r.out).toContain("PORTOLAN_CATALOG_TOKEN");
        expect(r.out).toContain(uri.slice("portolan://".length));
        expect(r.out).not.toContain(WRONG);
        expect(r.out).not.toContain(TOKEN);
      });
    }
  }
  it(`${i}_the right token reads the catalog`, async () => {
    const r = await runAsync([process.execPath, CLI, "catalog", "--registry", uri, "--json"], { PORTOLAN_CATALOG_TOKEN: TOKEN });
    expect([r.code, JSON.parse(r.out)]).toEqual([0, { version: expect.any(Number), services: [] }]);
  });
});

describe("portolan:// where nothing listens: said at once, with the address", () => {
  it("0_catalog exits 69 at once naming the address and 'connection refused'", async () => {
    const port = await closedPort();
    const r = await runAsync([process.execPath, CLI, "catalog", "--registry", `portolan://127.0.0.1:${port}`], {});
    expect(r.code, r.out).toBe(EXIT_UNAVAILABLE);
    expect(r.ms).toBeLessThan(5_000); // was: the full --timeout (10 s), "no catalog within 10000 ms"
    expect(r.out).toContain(`127.0.0.1:${port}`);
    expect(r.out).toContain("connection refused");
  });

  const longRunning: Array<[string, (u: string) => string[]]> = [
    ["dns", (u) => ["dns", "--registry", u, "--listen", "127.0.0.1:0", "--log-format", "json"]],
    ["catalog serve", (u) => ["catalog", "serve", "--registry", u, "--listen", "127.0.0.1:0", "--log-format", "json"]],
  ];
  longRunning.forEach(([name, args], k) =>
    it(`${k + 1}_${name} keeps running and logs the refused connection with the address`, async () => {
      const port = await closedPort();
      const p = startCli(args(`portolan://127.0.0.1:${port}`));
      try {
        await eventually("a log line naming the refused address", () => p.logs().includes(`127.0.0.1:${port}/v1/events: connection refused`), 5_000);
        expect(p.proc.exitCode).toBeNull();
      } finally {
        await stopProcess(p);
      }
    }),
  );
});
