// Which signals reach the program, and how many times. The program runs in portolan's process group (it keeps
// the terminal: an interactive shell does its own job control, a REPL reads the tty). A terminal sends ^C, ^\, ^Z
// and resizes to its whole foreground process group, so when portolan and the program are both in it, the
// program already got that signal from the kernel: forwarding it again would deliver it twice. Every other
// signal (docker stop/kill, kill PID) reaches portolan alone and is forwarded exactly once.
import { readFileSync } from "node:fs";
import { STOP_SIGNALS, TERMINAL_SIGNALS } from "../core/signals.js";
import type { Child } from "./child.js";

/** A process's group and its controlling terminal's foreground group (tpgid; -1 without a terminal). */
export interface ProcessGroups {
  pgrp: number;
  tpgid: number;
}

/** Parses /proc/PID/stat: fields after the parenthesised command name are state, ppid, pgrp, session, tty_nr, tpgid. */
export function parseProcStat(text: string): ProcessGroups | undefined {
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const pgrp = Number(f[2]);
  const tpgid = Number(f[5]);
  return Number.isInteger(pgrp) && Number.isInteger(tpgid) && f.length > 5 ? { pgrp, tpgid } : undefined;
}

/** Reads the groups of `pid` from /proc (Linux); undefined where there is no /proc or the process is gone. */
export function readProcessGroups(pid: number | "self"): ProcessGroups | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * True when `sig` came from a terminal to a foreground group that holds both portolan and the program: the
 * kernel delivered it to the program too. (Then a `kill -INT` aimed at portolan alone is indistinguishable and
 * not forwarded either: send it to the program or the group instead.)
 */
export function deliveredByTerminal(sig: NodeJS.Signals, self: ProcessGroups | undefined, child: ProcessGroups | undefined): boolean {
  if (!TERMINAL_SIGNALS.includes(sig) || !self || !child) return false;
  return self.tpgid > 0 && self.tpgid === self.pgrp && child.pgrp === self.pgrp;
}

export interface ForwardOptions {
  /** Called for every signal received (logging). */
  onSignal?: (sig: NodeJS.Signals, forwarded: boolean) => void;
  /** Reads process groups (tests pass a fake); default /proc. */
  groups?: (pid: number | "self") => ProcessGroups | undefined;
  /** Stops portolan itself (SIGSTOP) when a terminal's ^Z stopped the program: the shell above regains the terminal. */
  stopSelf?: () => void;
}

/**
 * The handler for every caught signal while the program runs: forwards it once; stop signals (TERM, INT) also
 * arm the kill timeout. A terminal's ^Z stops the program by itself; portolan then stops too, so that the shell
 * that started it sees the job stopped (and `fg` continues both).
 */
export function forwardSignals(child: Child, opts: ForwardOptions = {}): (sig: NodeJS.Signals) => void {
  const groups = opts.groups ?? readProcessGroups;
  const stopSelf = opts.stopSelf ?? (() => process.kill(process.pid, "SIGSTOP"));
  return (sig) => {
    const pid = child.pid;
    if (pid === undefined) return; // the spawn failed: portolan is about to exit with 71
    const fromTerminal = deliveredByTerminal(sig, groups("self"), groups(pid));
    opts.onSignal?.(sig, !fromTerminal);
    if (fromTerminal) {
      if (sig === "SIGTSTP") stopSelf();
      return;
    }
    if (STOP_SIGNALS.includes(sig)) void child.stop(sig);
    else child.signal(sig);
  };
}
