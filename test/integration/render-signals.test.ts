// Signals as real processes, through both entries (bin/portolan -> portolan.cjs, and node main.js): every
// signal portolan forwards is handled by portolan before the program runs and in every command, so Node's
// defaults never run (SIGUSR1 would open the inspector on 127.0.0.1:9229); E2BIG is exit 71 naming variables.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT_OSERR, EXIT_TEMPFAIL } from "../../src/core/exit-codes.js";
import { until } from "../support/until.js";
import { assertBuilt, CLI, runCli, track, type Running } from "./cli.js";

const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const ENTRIES = [
  { name: "bin_portolan", argv: (args: string[]) => [BIN, ...args] },
  { name: "node_main_js", argv: (args: string[]) => [process.execPath, CLI, ...args] },
];

function start(argv: string[]): Running {
  assertBuilt();
  return track(spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }));
}

/** True when something accepts connections on 127.0.0.1:9229 (Node's inspector port). */
function inspectorListening(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port: 9229 });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

const WAITING = ["--wait", "tcp://127.0.0.1:1", "--log-level", "debug"];

describe.each(ENTRIES)("signals before the program runs ($name)", (entry) => {
  it("0_sigusr1_usr2_alrm_during_exec_wait_are_ignored_no_inspector", async () => {
    expect(await inspectorListening()).toBe(false);
    const r = start(entry.argv(["exec", ...WAITING, "--wait-timeout", "60s", "--", "true"]));
    await until("waiting", () => r.logs().includes('"waiting"'), 20_000, 25);
    for (const sig of ["SIGUSR1", "SIGUSR2", "SIGALRM", "SIGWINCH", "SIGCONT"] as const) r.proc.kill(sig);
    await new Promise((res) => setTimeout(res, 400));
    expect(await inspectorListening()).toBe(false);
    expect(r.proc.exitCode).toBeNull(); // still waiting, as documented
    r.proc.kill("SIGTERM");
    expect((await r.exited).code).toBe(143);
    expect(r.logs()).not.toContain("Debugger listening");
  });

  it("1_sighup_before_the_program_ends_portolan_with_129", async () => {
    const r = start(entry.argv(["exec", ...WAITING, "--wait-timeout", "60s", "--", "true"]));
    await until("waiting", () => r.logs().includes('"waiting"'), 20_000, 25);
    r.proc.kill("SIGHUP");
    expect(await r.exited).toEqual({ code: 129, signal: null });
  });

  it("2_render_wait_ignores_sigusr1_and_times_out_as_documented", async () => {
    const r = start(entry.argv(["render", ...WAITING, "--wait-timeout", "1500ms"]));
    await until("waiting", () => r.logs().includes('"waiting"'), 20_000, 25);
    r.proc.kill("SIGUSR1");
    await new Promise((res) => setTimeout(res, 200));
    expect(await inspectorListening()).toBe(false);
    expect((await r.exited).code).toBe(EXIT_TEMPFAIL);
    expect(r.logs()).not.toContain("Debugger listening");
  });
});

describe.each(["registrator", "up"])("signals in the long-running %s", (command) => {
  it("0_sigusr1_ignored_then_sigterm_stops_gracefully", async () => {
    const args = command === "registrator" ? ["registrator", "--hostname", "signals-test", "--log-format", "json", "memory:"] : ["up", "--dns", "off", "--hostname", "signals-test", "--log-format", "json"];
    const r = start([BIN, ...args]);
    await until("started", () => r.logs().includes('"starting"'), 20_000, 25);
    for (const sig of ["SIGUSR1", "SIGUSR2", "SIGALRM"] as const) r.proc.kill(sig);
    await new Promise((res) => setTimeout(res, 400));
    expect(await inspectorListening()).toBe(false);
    expect(r.proc.exitCode).toBeNull();
    r.proc.kill("SIGTERM");
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(r.logs()).toContain('"stopped"');
    expect(r.logs()).not.toContain("Debugger listening");
  });
});

describe("spawn failures", () => {
  it("0_a_200kb_variable_is_exit_71_naming_it_without_its_value_or_a_stack", async () => {
    // From an env file: this test's own spawn of portolan could not pass such a variable either.
    const dir = await mkdtemp(join(tmpdir(), "portolan-e2big-"));
    const file = join(dir, "big.env");
    await writeFile(file, `HUGE_BLOB=marker-${"v".repeat(200 * 1024)}\n`);
    const r = runCli(["exec", "--environment-file", file, "--", "true"]);
    await rm(dir, { recursive: true, force: true });
    expect(r.code).toBe(EXIT_OSERR);
    expect(r.stderr).toContain("HUGE_BLOB");
    expect(r.stderr).toContain("E2BIG");
    expect(r.stderr).not.toContain("marker-");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
