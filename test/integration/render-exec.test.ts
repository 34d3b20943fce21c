// `portolan exec` / `portolan render` as real processes: signal forwarding to a trapping shell, exit codes,
// kill timeout, --wait against real 127.0.0.1 listeners, hostile values, all-or-nothing writes.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CONFIG, EXIT_TEMPFAIL, EXIT_TEMPLATE, EXIT_UNAVAILABLE, EXIT_USAGE } from "../../src/core/exit-codes.js";
import { runCli, startCli, type Running } from "./cli.js";
import { until as waitUntil } from "../support/until.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "portolan-exec-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const until = (what: string, cond: () => boolean, timeoutMs = 20_000) => waitUntil(what, cond, timeoutMs, 25);

/** Starts `portolan exec -- sh -c SCRIPT` and waits until the script printed "ready". */
async function startShell(script: string, flags: string[] = []): Promise<Running> {
  const r = startCli(["exec", ...flags, "--", "sh", "-c", script]);
  await until("child ready", () => r.logs().includes("ready"));
  return r;
}

describe("child supervision", () => {
  it("0_sigterm_reaches_the_trapping_child_and_its_exit_code_passes_through", async () => {
    const r = await startShell('trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done');
    r.proc.kill("SIGTERM");
    expect(await r.exited).toEqual({ code: 3, signal: null });
    expect(r.logs()).toContain("got TERM");
  });

  it("1_other_signals_forwarded_too", async () => {
    const r = await startShell('trap "echo got USR1" USR1; trap "echo got HUP" HUP; trap "echo got USR2; exit 0" USR2; echo ready; while :; do sleep 0.1; done');
    r.proc.kill("SIGUSR1");
    await until("USR1", () => r.logs().includes("got USR1"));
    r.proc.kill("SIGHUP");
    await until("HUP", () => r.logs().includes("got HUP"));
    r.proc.kill("SIGUSR2");
    expect(await r.exited).toEqual({ code: 0, signal: null });
  });

  it("2_child_killed_by_a_signal_gives_128_plus_signal", async () => {
    const r = await startShell("echo ready; exec sleep 30");
    r.proc.kill("SIGTERM"); // forwarded to sleep, which dies of it
    expect((await r.exited).code).toBe(143);
    expect(runCli(["exec", "--", "sh", "-c", "kill -KILL $$"]).code).toBe(137);
  });

  it("3_kill_timeout_then_sigkill", async () => {
    const r = await startShell('trap "echo ignoring TERM" TERM; echo ready; while :; do sleep 0.1; done', ["--kill-timeout", "700ms"]);
    const t0 = Date.now();
    r.proc.kill("SIGTERM");
    const exit = await r.exited;
    const took = Date.now() - t0;
    expect(exit.code).toBe(137);
    expect(r.logs()).toContain("ignoring TERM");
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(10_000);
  });

  it("4_exit_codes_pass_through_and_env_reaches_the_child", async () => {
    const env = join(dir, "a.env");
    await writeFile(env, "GREETING=hello from file\nexport_BAD-NAME=x\n");
    const r = runCli(["exec", "--environment-file", env, "--", "sh", "-c", 'echo "$GREETING/$FROM_PROCESS"; exit 42'], { FROM_PROCESS: "proc" });
    expect(r.code).toBe(42);
    expect(r.stdout).toBe("hello from file/proc\n");
  });

  it("5_exec_replace_on_node_without_execve_is_a_usage_error", () => {
    const r = runCli(["exec", "--exec-replace", "--", "true"]);
    if ("execve" in process) {
      expect(r.code).toBe(0);
    } else {
      expect(r.code).toBe(EXIT_USAGE);
      expect(r.stderr).toContain(process.version);
    }
  });
});

describe("--wait", () => {
  let tcp: Server;
  let http: HttpServer;
  let httpReady = false;
  beforeAll(async () => {
    http = createHttpServer((_req, res) => {
      res.statusCode = httpReady ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    await new Promise((r) => http.close(r));
  });

  it("0_waits_for_a_tcp_listener_that_comes_up_later", async () => {
    // Reserve a free port, close it, open it again after 800ms.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const r = startCli(["exec", "--wait", `tcp://127.0.0.1:${port}`, "--wait-timeout", "20s", "--", "sh", "-c", "echo started"]);
    await new Promise((res) => setTimeout(res, 800));
    expect(r.logs()).not.toContain("started");
    tcp = createServer((s) => s.destroy());
    await new Promise<void>((res) => tcp.listen(port, "127.0.0.1", res));
    expect((await r.exited).code).toBe(0);
    expect(r.logs()).toContain("started");
    await new Promise((res) => tcp.close(res));
  });

  it("1_http_503_is_not_ready_200_is", async () => {
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/health`;
    const r = startCli(["exec", "--wait", url, "--", "sh", "-c", "echo started"]);
    await new Promise((res) => setTimeout(res, 600));
    expect(r.logs()).not.toContain("started");
    httpReady = true;
    expect((await r.exited).code).toBe(0);
  });

  it("2_sigterm_while_waiting_ends_portolan_with_143_and_runs_nothing", async () => {
    const marker = join(dir, "never-started-2");
    const r = startCli(["exec", "--wait", "tcp://127.0.0.1:1", "--wait-timeout", "60s", "--", "touch", marker]);
    await new Promise((res) => setTimeout(res, 700));
    const t0 = Date.now();
    r.proc.kill("SIGTERM");
    expect((await r.exited).code).toBe(143);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(existsSync(marker)).toBe(false);
  });

  it("3_timeout_names_the_target_that_did_not_come_up_and_runs_nothing", async () => {
    const marker = join(dir, "never-started");
    const missing = `file://${join(dir, "no-such-file")}`;
    const r = runCli(["exec", "--wait", "tcp://127.0.0.1:1", "--wait", missing, "--wait-timeout", "600ms", "--", "touch", marker]);
    expect(r.code).toBe(EXIT_TEMPFAIL);
    expect(r.stderr).toContain("tcp://127.0.0.1:1");
    expect(r.stderr).toContain(missing);
    expect(existsSync(marker)).toBe(false);
  });

  it("4_a_target_answering_404_at_once_is_reported_as_HTTP_404_every_time_never_timed_out", async () => {
    const notFound = createHttpServer((_req, res) => {
      res.statusCode = 404;
      res.end("no such path");
    });
    await new Promise<void>((r) => notFound.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(notFound.address() as AddressInfo).port}/404-path`;
    await writeFile(join(dir, "never.tmpl"), "x\n");
    try {
      // Six runs, two at a time (the server answers in this process, so the CLI runs as a child without blocking it).
      const runs: Array<{ code: number | null; logs: string }> = [];
      for (let k = 0; k < 3; k++) {
        const pair = [0, 1].map(() => startCli(["render", "--wait", url, "--wait-timeout", "2s", "--template", `${join(dir, "never.tmpl")}:${join(dir, "never.out")}`]));
        for (const r of pair) runs.push({ code: (await r.exited).code, logs: r.logs() });
      }
      for (const r of runs) {
        expect(r.code).toBe(EXIT_TEMPFAIL);
        expect(r.logs).toContain(`${url} (HTTP 404)`);
        expect(r.logs).not.toContain("timed out");
      }
    } finally {
      await new Promise((r) => notFound.close(r));
    }
  });
});

describe("rendering", () => {
  it("0_hostile_values_rendered_literally_nothing_executed", async () => {
    const marker = join(dir, "pwned");
    const hostile = `$(touch ${marker}) \`touch ${marker}\` {{NAME}} "dq" 'sq' \\ <&>\nsecond line`;
    const tpl = join(dir, "h.json.mustache");
    const txt = join(dir, "h.conf.mustache");
    await writeFile(tpl, '{"v": "{{HOSTILE}}", "name": "{{NAME}}"}\n');
    await writeFile(txt, "v={{HOSTILE}}\n");
    const out = join(dir, "out-h");
    const r = runCli(
      ["exec", "--template", `${tpl}:${out}/h.json`, "--template", `${txt}:${out}/h.conf`, "--", "sh", "-c", 'printf %s "$HOSTILE" > "$0"', join(out, "env")],
      { HOSTILE: hostile, NAME: "n" },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(join(out, "h.json"), "utf8"))).toEqual({ v: hostile, name: "n" });
    expect(await readFile(join(out, "h.conf"), "utf8")).toBe(`v=${hostile}\n`);
    expect(await readFile(join(out, "env"), "utf8")).toBe(hostile);
    expect(existsSync(marker)).toBe(false);
  });

  it("1_unknown_name_fails_with_file_line_and_writes_nothing", async () => {
    const good = join(dir, "good.mustache");
    const bad = join(dir, "bad.mustache");
    await writeFile(good, "fine {{NAME}}\n");
    await writeFile(bad, "line1\nport={{PORTT}}\n");
    const out = join(dir, "out-bad");
    const r = runCli(["render", "--template", `${good}:${out}/good`, "--template", `${bad}:${out}/bad`], { NAME: "x" });
    expect(r.code).toBe(EXIT_TEMPLATE);
    expect(r.stderr).toContain(`${bad}:2`);
    expect(r.stderr).toContain("PORTT");
    expect(existsSync(out)).toBe(false);
  });

  it("2_invalid_config_writes_nothing_and_runs_nothing", async () => {
    const spec = join(dir, "spec.json");
    await writeFile(spec, JSON.stringify({ variables: { MONGODB_URL: { type: "url", required: true }, PORT: { type: "port" } } }));
    const tpl = join(dir, "c.mustache");
    await writeFile(tpl, "{{PORT}}\n");
    const out = join(dir, "out-cfg");
    const marker = join(dir, "ran");
    const r = runCli(["exec", "--spec", spec, "--template", `${tpl}:${out}/c`, "--", "touch", marker], { PORT: "99999" });
    expect(r.code).toBe(EXIT_CONFIG);
    expect(r.stderr).toContain("MONGODB_URL");
    expect(r.stderr).toContain("PORT");
    expect(existsSync(out)).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });

  it("3_dry_run_masks_secrets_and_writes_nothing", async () => {
    const tpl = join(dir, "s.json.mustache");
    await writeFile(tpl, '{"user": "{{DB_USER}}", "password": "{{DB_PASSWORD}}"}\n');
    const out = join(dir, "out-dry");
    const r = runCli(["render", "--dry-run", "--template", `${tpl}:${out}/s.json`], { DB_USER: "app", DB_PASSWORD: 'pa"ss-XyZ' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("would-render, mode 0600");
    expect(r.stdout).toContain('"user": "app"');
    expect(r.stdout).toContain('"password": "********"');
    expect(r.stdout).not.toContain("XyZ");
    expect(existsSync(out)).toBe(false);
  });

  it("4_registry_unreachable_is_69_bad_uri_is_usage", async () => {
    const tpl = join(dir, "svc.mustache");
    await writeFile(tpl, "{{#services.db}}{{hostPort}}{{/services.db}}\n");
    const out = join(dir, "out-svc");
    const down = runCli(["render", "--registry", "consul://127.0.0.1:1", "--wait-timeout", "1s", "--template", `${tpl}:${out}/svc`]);
    expect(down.code).toBe(EXIT_UNAVAILABLE);
    expect(down.stderr).toContain("consul://127.0.0.1:1");
    expect(runCli(["render", "--registry", "nope://x", "--template", `${tpl}:${out}/svc`]).code).toBe(EXIT_USAGE);
    const none = runCli(["render", "--template", `${tpl}:${out}/svc`]); // services without --registry: unknown name
    expect(none.code).toBe(EXIT_TEMPLATE);
    expect(none.stderr).toContain(`${tpl}:1`);
    expect(existsSync(out)).toBe(false);
  });

  it("5_unchanged_output_is_not_rewritten", async () => {
    const tpl = join(dir, "u.mustache");
    await writeFile(tpl, "x={{X}}\n");
    const dest = join(dir, "out-u", "u.conf");
    expect(runCli(["render", "--template", `${tpl}:${dest}:0640`], { X: "1" }).code).toBe(0);
    const before = await stat(dest);
    expect(before.mode & 0o777).toBe(0o640);
    await new Promise((r) => setTimeout(r, 30));
    expect(runCli(["render", "--template", `${tpl}:${dest}:0640`], { X: "1" }).code).toBe(0);
    const after = await stat(dest);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(runCli(["render", "--template", `${tpl}:${dest}:0640`], { X: "2" }).code).toBe(0);
    expect((await stat(dest)).ino).not.toBe(before.ino);
    expect(await readFile(dest, "utf8")).toBe("x=2\n");
  });
});
