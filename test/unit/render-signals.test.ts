// Signal handling without a terminal or a real signal: which signals are forwarded (terminal-aware), what
// portolan does with a signal while no program runs, the kill timeout on a fake clock, and spawn failures
// named by variable (never by value).
import { FakeClock } from "../support/fake-clock.js";
import { exitCodeOf } from "../../src/cli/exit.js";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { defaultSignal, installSignals, takeSignals } from "../../src/cli/signals.js";
import { ENDING_SIGNALS, FORWARDED_SIGNALS, STOPPING_SIGNALS } from "../../src/core/signals.js";
import { Child, MAX_TIMER_MS } from "../../src/render/child.js";
import { deliveredByTerminal, forwardSignals, parseProcStat, type ProcessGroups } from "../../src/render/forward.js";
import { ChildEnvTooLargeError, ChildStartError, childStartError, MAX_ARG_STRLEN } from "../../src/render/run-errors.js";
import { RecordingChild } from "../support/recording-child.js";

describe("the early signal list", () => {
  it("0_portolan_cjs_catches_exactly_the_forwarded_signals", () => {
    const cjs = createRequire(import.meta.url)("../../scripts/portolan.cjs") as { SIGNALS: string[] };
    expect(cjs.SIGNALS).toEqual([...FORWARDED_SIGNALS]);
  });
});

describe("installSignals", () => {
  it("0_takes_over_from_portolan_cjs_hold_and_replays_what_it_caught", () => {
    const got: string[] = [];
    const release = takeSignals((sig) => got.push(sig));
    const hold = () => undefined;
    process.on("SIGUSR2", hold);
    installSignals({ signals: ["SIGUSR2"], hold, early: ["SIGUSR2", "SIGWINCH"] });
    expect(process.listeners("SIGUSR2")).not.toContain(hold);
    for (const sig of FORWARDED_SIGNALS) expect(process.listenerCount(sig)).toBe(1);
    installSignals(); // idempotent: one listener per signal
    for (const sig of FORWARDED_SIGNALS) expect(process.listenerCount(sig)).toBe(1);
    process.emit("SIGUSR1", "SIGUSR1");
    release();
    expect(got).toEqual(["SIGUSR2", "SIGWINCH", "SIGUSR1"]);
  });
});

describe("defaultSignal (no program to forward to)", () => {
  FORWARDED_SIGNALS.forEach((sig, i) =>
    it(`${i}_${sig}`, () => {
      const calls: string[] = [];
      const proc = { pid: 7, listenerCount: () => 1, exit: (code?: number) => void calls.push(`exit:${code}`), kill: (pid: number, s?: string | number) => void calls.push(`kill:${pid}:${s}`) };
      defaultSignal(sig, proc as never);
      if (ENDING_SIGNALS.includes(sig)) expect(calls).toEqual([`exit:${sig === "SIGTERM" ? 143 : sig === "SIGINT" ? 130 : sig === "SIGHUP" ? 129 : 131}`]);
      else if (STOPPING_SIGNALS.includes(sig)) expect(calls).toEqual(["kill:7:SIGSTOP"]);
      else expect(calls).toEqual([]); // USR1 (inspector), USR2, WINCH, CONT, ALRM: ignored
    }),
  );
});

describe("defaultSignal leaves a command's own listener alone", () => {
  it("0_sigterm_with_another_listener_does_not_exit", () => {
    const calls: string[] = [];
    defaultSignal("SIGTERM", { pid: 7, listenerCount: () => 2, exit: () => void calls.push("exit"), kill: () => true } as never);
    expect(calls).toEqual([]);
  });
});

describe("terminal-aware forwarding", () => {
  const fg: ProcessGroups = { pgrp: 10, tpgid: 10 }; // portolan in the terminal's foreground group
  const cases: Array<{ name: string; self: ProcessGroups | undefined; child: ProcessGroups | undefined; sig: NodeJS.Signals; want: string[]; stopped?: boolean }> = [
    { name: "ctrl_c_reached_the_program_already", self: fg, child: { pgrp: 10, tpgid: 10 }, sig: "SIGINT", want: [] },
    { name: "ctrl_backslash", self: fg, child: { pgrp: 10, tpgid: 10 }, sig: "SIGQUIT", want: [] },
    { name: "resize", self: fg, child: { pgrp: 10, tpgid: 10 }, sig: "SIGWINCH", want: [] },
    { name: "ctrl_z_stops_portolan_too", self: fg, child: { pgrp: 10, tpgid: 10 }, sig: "SIGTSTP", want: [], stopped: true },
    { name: "term_from_docker_stop_forwarded", self: fg, child: { pgrp: 10, tpgid: 10 }, sig: "SIGTERM", want: ["stop:SIGTERM"] },
    { name: "hup_forwarded", self: fg, child: { pgrp: 10, tpgid: 10 }, sig: "SIGHUP", want: ["signal:SIGHUP"] },
    { name: "no_terminal_int_forwarded", self: { pgrp: 10, tpgid: -1 }, child: { pgrp: 10, tpgid: -1 }, sig: "SIGINT", want: ["stop:SIGINT"] },
    { name: "background_int_forwarded", self: { pgrp: 10, tpgid: 30 }, child: { pgrp: 10, tpgid: 30 }, sig: "SIGINT", want: ["stop:SIGINT"] },
    { name: "shell_took_its_own_group_int_forwarded", self: { pgrp: 10, tpgid: 20 }, child: { pgrp: 20, tpgid: 20 }, sig: "SIGINT", want: ["stop:SIGINT"] },
    { name: "program_in_other_group_winch_forwarded", self: fg, child: { pgrp: 20, tpgid: 10 }, sig: "SIGWINCH", want: ["signal:SIGWINCH"] },
    { name: "no_proc_forwarded", self: undefined, child: undefined, sig: "SIGINT", want: ["stop:SIGINT"] },
  ];
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      const child = new RecordingChild();
      let stopped = false;
      const forward = forwardSignals(child, { groups: (pid) => (pid === "self" ? c.self : c.child), stopSelf: () => (stopped = true) });
      forward(c.sig);
      expect(child.sent).toEqual(c.want);
      expect(stopped).toBe(c.stopped ?? false);
      expect(deliveredByTerminal(c.sig, c.self, c.child)).toBe(c.want.length === 0);
    }),
  );

  const stats: Array<[string, string, ProcessGroups | undefined]> = [
    ["plain", "123 (node) S 1 123 123 34816 123 4194560 1 2 3", { pgrp: 123, tpgid: 123 }],
    ["comm_with_parens_and_spaces", "55 (a) b (c) S 1 40 40 0 -1 4194560", { pgrp: 40, tpgid: -1 }],
    ["truncated", "55 (x) S 1", undefined],
  ];
  stats.forEach(([name, text, want], i) => it(`${cases.length + i}_parseProcStat_${name}`, () => expect(parseProcStat(text)).toEqual(want)));
});

/** A fake clock that also records each sleep's length and whether it was aborted. */
class RecordingClock extends FakeClock {
  readonly sleeps: Array<{ ms: number; aborted: () => boolean }> = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push({ ms, aborted: () => signal?.aborted === true });
    return super.sleep(ms, signal);
  }
}

describe("kill timeout: signal, race exit against the timeout, then SIGKILL", () => {
  const start = (killTimeoutMs: number, script: string) => {
    const clock = new RecordingClock();
    const child = new Child({ command: "sh", args: ["-c", script], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, reloadSignal: "SIGHUP", killSignal: "SIGTERM", killTimeoutMs, clock });
    return { child, clock };
  };
  const ready = async (child: Child) => {
    await child.start();
    await new Promise((r) => setTimeout(r, 150)); // let sh install its trap
  };

  it("0_term_ignored_the_timeout_wins_sigkill", async () => {
    const { child, clock } = start(10_000, 'trap "" TERM; while :; do sleep 0.05; done');
    await ready(child);
    const exit = child.stop();
    expect(clock.sleeps.map((t) => t.ms)).toEqual([10_000]);
    await clock.advance(9_999);
    expect(child.signal("SIGCONT")).toBe(true); // still running: TERM is ignored and the timeout is not yet due
    await clock.advance(1);
    expect(await exit).toMatchObject({ exitCode: 137, signal: "SIGKILL" });
  });

  it("1_exit_wins_the_timer_is_cleared", async () => {
    const { child, clock } = start(10_000, "trap 'exit 3' TERM; while :; do sleep 0.05; done");
    await ready(child);
    expect(await child.stop()).toMatchObject({ exitCode: 3 });
    expect(clock.sleeps.map((t) => t.aborted())).toEqual([true]);
    expect(clock.pending).toBe(0);
  });

  it("2_a_timeout_longer_than_a_node_timer_is_bounded_not_1ms", async () => {
    const { child, clock } = start(720 * 3600_000, 'trap "" TERM; while :; do sleep 0.05; done');
    await ready(child);
    const exit = child.stop();
    child.stop(); // a second stop signal does not arm a second timer
    expect(clock.sleeps.map((t) => t.ms)).toEqual([MAX_TIMER_MS]);
    child.signal("SIGKILL");
    await exit;
  });
});

describe("spawn failures name variables, never values", () => {
  const SECRET = "s3cr3t-VALUE";
  it("0_e2big_names_the_largest_variables", () => {
    const env = { BIG: SECRET + "x".repeat(200_000), MEDIUM: "y".repeat(5000), PATH: "/bin" };
    const err = childStartError({ command: "app", args: ["--flag"], env, cause: Object.assign(new Error("spawn E2BIG"), { code: "E2BIG" }) });
    expect(err).toBeInstanceOf(ChildEnvTooLargeError);
    const e = err as ChildEnvTooLargeError;
    expect(exitCodeOf(e)).toBe(71);
    expect(e.largest.map((v) => v.name)).toEqual(["BIG", "MEDIUM", "PATH"]);
    expect(e.largest[0]!.bytes).toBeGreaterThan(MAX_ARG_STRLEN);
    expect(e.message).toContain("BIG");
    expect(e.message).not.toContain(SECRET);
    expect(e.message).not.toContain("--flag");
  });

  it("1_real_spawn_of_a_200kb_variable", async () => {
    const child = new Child({ command: "true", args: [], env: { HUGE: "z".repeat(200 * 1024) }, reloadSignal: "SIGHUP", killSignal: "SIGTERM", killTimeoutMs: 1 });
    await expect(child.start()).rejects.toBeInstanceOf(ChildEnvTooLargeError);
  });

  it("2_nul_byte_names_the_variable_not_the_value", async () => {
    const child = new Child({ command: "true", args: [], env: { DB_PASSWORD: `${SECRET}\0tail` }, reloadSignal: "SIGHUP", killSignal: "SIGTERM", killTimeoutMs: 1 });
    const err = await child.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChildStartError);
    expect((err as Error).message).toContain("DB_PASSWORD");
    expect((err as Error).message).not.toContain(SECRET);
  });
});
