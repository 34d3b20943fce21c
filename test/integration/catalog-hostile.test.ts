// Hostile HTTP against a real `portolan catalog serve`: request targets the URL parser chokes on, HEAD and other
// methods, and a DNS-rebinding Host on the token-less loopback listener. Raw requests over a socket, so the
// bytes are exactly what an attacker sends; the server must answer each and keep serving.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type Running } from "./cli.js";
import { get, startServing, stopProcess } from "./catalog-support.js";

const PORT = 18770;
const TOKEN_PORT = 18771;
const BASE = `http://127.0.0.1:${PORT}`;

interface RawReply {
  status: number;
  headers: string;
  body: string;
}

/** Sends `head` (request line and headers, no final blank line) on a fresh connection; reads until close. */
export function raw(port: number, head: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let text = "";
    sock.setEncoding("latin1");
    sock.setTimeout(10_000, () => sock.destroy(new Error(`no answer to ${JSON.stringify(head.slice(0, 60))}`)));
    sock.on("data", (d: string) => (text += d));
    sock.on("error", reject);
    sock.on("close", () => {
      const [headers = "", body = ""] = text.split("\r\n\r\n", 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), headers: headers.toLowerCase(), body });
    });
    sock.end(`${head}\r\nConnection: close\r\n\r\n`);
  });
}

describe("catalog serve under hostile requests", () => {
  let serve: Running | undefined;
  let withToken: Running | undefined;
  const token = `hostile-${process.pid}-secret`;

  beforeAll(async () => {
    serve = await startServing(BASE, ["catalog", "serve", "--registry", "memory:", "--listen", `127.0.0.1:${PORT}`, "--log-format", "json"]);
    withToken = await startServing(`http://127.0.0.1:${TOKEN_PORT}`, ["catalog", "serve", "--registry", "memory:", "--listen", `127.0.0.1:${TOKEN_PORT}`, "--token", token, "--log-format", "json"]);
  });
  afterAll(async () => {
    await stopProcess(serve);
    await stopProcess(withToken);
  });

  const h = `Host: 127.0.0.1:${PORT}`;
  const cases: { name: string; head: string; status: number; has?: RegExp; body?: RegExp }[] = [
    { name: "double_slash", head: `GET // HTTP/1.1\r\n${h}`, status: 200, has: /content-type: text\/html/ },
    { name: "double_slash_path", head: `GET //v1/services HTTP/1.1\r\n${h}`, status: 404 },
    { name: "asterisk", head: `OPTIONS * HTTP/1.1\r\n${h}`, status: 400 },
    { name: "scheme_only", head: `GET http:// HTTP/1.1\r\n${h}`, status: 400 },
    { name: "absolute_form", head: `GET http://127.0.0.1:${PORT}/v1/services HTTP/1.1\r\n${h}`, status: 200, body: /"services":\[\]/ },
    { name: "dot_segments", head: `GET /app.js/../../../../etc/passwd HTTP/1.1\r\n${h}`, status: 404 },
    { name: "bad_percent", head: `GET /v1/services/%zz%c0%af HTTP/1.1\r\n${h}`, status: 404 },
    { name: "head_api", head: `HEAD /v1/services HTTP/1.1\r\n${h}`, status: 200, has: /content-type: application\/json/, body: /^$/ },
    { name: "head_events", head: `HEAD /v1/events HTTP/1.1\r\n${h}`, status: 200, has: /content-type: text\/event-stream/, body: /^$/ },
    { name: "options", head: `OPTIONS /v1/services HTTP/1.1\r\n${h}`, status: 405, has: /allow: get, head/ },
    { name: "unknown_method", head: `PURGE /v1/services HTTP/1.1\r\n${h}`, status: 405, has: /allow: get, head/ },
    { name: "post_unknown_path", head: `POST /nowhere HTTP/1.1\r\n${h}\r\nContent-Length: 0`, status: 404 },
    { name: "rebinding_host", head: `GET /v1/services HTTP/1.1\r\nHost: rebind.attacker.example:${PORT}`, status: 403, body: /host_not_allowed/ },
    { name: "rebinding_page", head: `GET / HTTP/1.1\r\nHost: rebind.attacker.example`, status: 403 },
    { name: "rebinding_events", head: `GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1.nip.example:${PORT}`, status: 403 },
    { name: "rebinding_absolute_form", head: `GET http://rebind.attacker.example/v1/services HTTP/1.1\r\n${h}`, status: 403 },
    { name: "host_localhost", head: `GET /v1/services HTTP/1.1\r\nHost: localhost:${PORT}`, status: 200 },
    { name: "host_v6_loopback", head: `GET /v1/services HTTP/1.1\r\nHost: [::1]:${PORT}`, status: 200 },
    { name: "host_other_loopback", head: `GET /v1/services HTTP/1.1\r\nHost: 127.0.0.2`, status: 200 },
    { name: "http10_no_host", head: `GET /v1/services HTTP/1.0`, status: 200 },
    { name: "huge_header", head: `GET /v1/services HTTP/1.1\r\n${h}\r\nX-Big: ${"a".repeat(20_000)}`, status: 431 },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, async () => {
      const r = await raw(PORT, c.head);
      expect([c.name, r.status]).toEqual([c.name, c.status]);
      if (c.has) expect(r.headers).toMatch(c.has);
      if (c.body) expect(r.body).toMatch(c.body);
      // Whatever came before, the server still answers.
      expect((await get(`${BASE}/healthz`)).status).toBe(200);
    });
  }

  it(`${cases.length}_a token server answers any Host with the token, none without it`, async () => {
    const other = `Host: catalog.example:${TOKEN_PORT}`;
    expect((await raw(TOKEN_PORT, `GET /v1/services HTTP/1.1\r\n${other}\r\nAuthorization: Bearer ${token}`)).status).toBe(200);
    expect((await raw(TOKEN_PORT, `GET /v1/services HTTP/1.1\r\n${other}`)).status).toBe(401);
    expect((await raw(TOKEN_PORT, `GET // HTTP/1.1\r\n${other}`)).status).toBe(401);
    expect(withToken!.logs()).not.toContain(token);
  });
});

describe("--token values no client can send", () => {
  const secret = `tok en-${process.pid}`;
  const cases: { name: string; args: string[]; env?: Record<string, string> }[] = [
    { name: "serve_empty", args: ["catalog", "serve", "--registry", "memory:", "--listen", "127.0.0.1:18772", "--token", ""] },
    { name: "serve_space", args: ["catalog", "serve", "--registry", "memory:", "--listen", "127.0.0.1:18772", "--token", secret] },
    { name: "serve_env_newline", args: ["catalog", "serve", "--registry", "memory:", "--listen", "127.0.0.1:18772"], env: { PORTOLAN_CATALOG_TOKEN: `${secret}\n` } },
    { name: "client_env_newline", args: ["catalog", "--registry", "portolan://127.0.0.1:18772", "--timeout", "1s"], env: { PORTOLAN_CATALOG_TOKEN: `${secret}\n` } },
    { name: "up_empty", args: ["up", "--dns", "off", "--hostname", `hostile-${process.pid}`, "--listen", "127.0.0.1:18772", "--token", ""] },
    { name: "up_nonloopback_space", args: ["up", "--dns", "off", "--hostname", `hostile-${process.pid}`, "--listen", "0.0.0.0:18772", "--token", secret] },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}: exit 64 naming the setting, the value never shown`, () => {
      const r = runCli(c.args, c.env, 20_000);
      expect([r.code, r.stdout]).toEqual([64, ""]);
      expect(r.stderr).toMatch(c.env ? /PORTOLAN_CATALOG_TOKEN/ : /--token/);
      expect(r.stderr).not.toContain(secret);
    });
  }
});
