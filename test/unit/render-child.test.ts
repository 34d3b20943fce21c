import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { requireExecve } from "../../src/cli/exec-run.js";
import { Child, exitCodeOf, forwardSignals, FORWARDED_SIGNALS, parseSignal, resolveCommand } from "../../src/render/child.js";
import { ChildStartError, ExecReplaceUnsupportedError } from "../../src/render/run-errors.js";

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

/** A Child whose signal()/stop() are recorded instead of reaching a process. */
class RecordingChild extends Child {
  readonly sent: string[] = [];
  constructor() {
    super({ command: "x", args: [], env: {}, reloadSignal: "SIGHUP", killSignal: "SIGTERM", killTimeoutMs: 1 });
  }
  override signal(sig: NodeJS.Signals): boolean {
    this.sent.push(`signal:${sig}`);
    return true;
  }
  override stop(sig: NodeJS.Signals = "SIGTERM") {
    this.sent.push(`stop:${sig}`);
    return Promise.resolve({ exitCode: 0, code: 0, signal: null });
  }
}

describe("forwardSignals", () => {
  it("0_every_signal_forwarded_stop_signals_arm_the_kill", () => {
    const source = new EventEmitter();
    const child = new RecordingChild();
    const off = forwardSignals(child, source as unknown as NodeJS.Process);
    for (const s of FORWARDED_SIGNALS) source.emit(s, s);
    expect(child.sent).toEqual(FORWARDED_SIGNALS.map((s) => (s === "SIGTERM" || s === "SIGINT" ? `stop:${s}` : `signal:${s}`)));
    off();
    for (const s of FORWARDED_SIGNALS) expect(source.listenerCount(s)).toBe(0);
  });
});
