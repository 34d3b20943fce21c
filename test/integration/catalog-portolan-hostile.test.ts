// portolan:// pointed at a server that is not a sane portolan: its first event stream is one endless line (as a
// misconfigured or hostile server could send). The client must give that stream up at a bounded size and
// reconnect, and then show what the next stream says, instead of buffering forever.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, CLI } from "./cli.js";

/** The CLI as a child, without blocking this process (the server it talks to runs here). */
function runCliAsync(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const instance = { id: "h:h-web:80", name: "hostileweb", address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h" };

let server: Server;
let port = 0;
let streams = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== "/v1/events") return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (++streams > 1) return void res.write(`id: x-1\nevent: snapshot\ndata: ${JSON.stringify({ version: 1, instances: [instance] })}\n\n`);
    // The first stream: "data: aaaa…" without end, as fast as the client reads.
    const chunk = "a".repeat(256 * 1024);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on("drain", pump);
    res.write("data: ");
    pump();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as { port: number }).port;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("portolan:// against an endless event stream", () => {
  it("0_catalog gives the endless stream up, reconnects and prints the next snapshot", async () => {
    const r = await runCliAsync(["catalog", "--registry", `portolan://127.0.0.1:${port}`, "--json", "--timeout", "60s"], 90_000);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toMatchObject({ services: [{ name: "hostileweb", passing: 1 }] });
    expect(streams).toBeGreaterThanOrEqual(2);
  });
});
