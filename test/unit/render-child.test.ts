import { describe, expect, it } from "vitest";
import { requireExecve } from "../../src/render/supervise.js";
import { exitCodeOf, FORWARDED_SIGNALS, parseSignal, resolveCommand } from "../../src/render/child.js";
import { forwardSignals } from "../../src/render/forward.js";
import { ChildStartError, ExecReplaceUnsupportedError } from "../../src/render/run-errors.js";
import { RecordingChild } from "../support/recording-child.js";

describe("exit codes and signal names", () => {
  const codes: Array<[number | null, NodeJS.Signals | null, number]> = [
    [0, null, 0],
    [3, null, 3],
    [null, "SIGTERM", 143],
    [null, "SIGKILL", 137],
    [null, "SIGINT", 130],
    [null, "SIGHUP", 129],
  ];
  codes.forEach(([code, sig, want], i) => it(`${i}_exitCodeOf_${code}_${sig}`, () => expect(exitCodeOf(code, sig)).toBe(want)));
  const names: Array<[string, NodeJS.Signals | undefined]> = [["SIGHUP", "SIGHUP"], ["hup", "SIGHUP"], ["USR2", "SIGUSR2"], ["SIGNOPE", undefined], ["", undefined]];
  names.forEach(([text, want], i) => it(`${codes.length + i}_parseSignal_${text || "empty"}`, () => expect(parseSignal(text)).toBe(want)));
});

describe("resolveCommand / requireExecve", () => {
  it("0_path_lookup", async () => {
    expect(await resolveCommand("sh", "/nonexistent:/bin:/usr/bin")).toMatch(/\/(usr\/)?bin\/sh$/);
    expect(await resolveCommand("./x", "/bin")).toBe("./x");
    await expect(resolveCommand("no-such-program-here", "/bin")).rejects.toBeInstanceOf(ChildStartError);
  });
  it("1_exec_replace_needs_process_execve", () => {
    expect(() => requireExecve({ version: "v20.20.2" })).toThrow(ExecReplaceUnsupportedError);
    const fake = () => {
      throw new Error("not called");
    };
    expect(requireExecve({ version: "v23.11.0", execve: fake })).toBe(fake);
    // This suite runs on the project's Node: on 20 the real check must refuse.
    if (!("execve" in process)) expect(() => requireExecve()).toThrow(ExecReplaceUnsupportedError);
  });
});

describe("forwardSignals", () => {
  const noTerminal = () => ({ pgrp: 10, tpgid: -1 });
  it("0_every_signal_forwarded_stop_signals_arm_the_kill", () => {
    const child = new RecordingChild();
    const forward = forwardSignals(child, { groups: noTerminal });
    for (const s of FORWARDED_SIGNALS) forward(s);
    expect(child.sent).toEqual(FORWARDED_SIGNALS.map((s) => (s === "SIGTERM" || s === "SIGINT" ? `stop:${s}` : `signal:${s}`)));
  });
});
