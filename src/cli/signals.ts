// Process-wide signal handling. Installed at the first instruction of each entry (scripts/portolan.cjs for
// render/exec, main.ts for every command), so no Node default handler ever runs for a signal in
// FORWARDED_SIGNALS: SIGUSR1 would open Node's inspector on 127.0.0.1:9229, SIGHUP/SIGUSR2/SIGALRM would kill
// the process mid-write. Until a command takes the signals over (`takeSignals`), defaultSignal applies.
// The state lives on a global: start.cjs, render-fast.js and main.js each bundle their own copy of this module,
// and all of them must share one handler.
import { constants } from "node:os";
import { ENDING_SIGNALS, FORWARDED_SIGNALS, STOPPING_SIGNALS } from "../core/signals.js";

export type SignalHandler = (sig: NodeJS.Signals) => void;

/** Signals caught before this module loaded (portolan.cjs's first lines), to be replayed once it is. */
export interface HeldSignals {
  signals: readonly string[];
  hold: (sig: NodeJS.Signals) => void;
  early: NodeJS.Signals[];
}

interface State {
  handler: SignalHandler;
  installed: boolean;
}

const KEY = Symbol.for("portolan.signals");

function state(): State {
  const g = globalThis as { [KEY]?: State };
  return (g[KEY] ??= { handler: defaultSignal, installed: false });
}

/**
 * What a signal does while no command handles it: TERM/INT/HUP/QUIT end portolan with 128+signal, TSTP/TTIN/TTOU
 * stop it (SIGSTOP, as their default action would), the rest (USR1, USR2, WINCH, CONT, ALRM) are ignored.
 * A command that listens on `process` itself (process.once("SIGTERM", …) for a graceful stop) is left to do so.
 */
export function defaultSignal(sig: NodeJS.Signals, proc: Pick<NodeJS.Process, "exit" | "kill" | "pid" | "listenerCount"> = process): void {
  if (ENDING_SIGNALS.includes(sig)) {
    if (proc.listenerCount(sig) <= 1) proc.exit(128 + (constants.signals[sig] ?? 0));
  }
  else if (STOPPING_SIGNALS.includes(sig)) proc.kill(proc.pid, "SIGSTOP");
}

/** Where portolan.cjs leaves its HeldSignals for main.js (an ES module it imports, so it cannot pass them). */
const HELD_KEY = Symbol.for("portolan.heldSignals");

/** The HeldSignals portolan.cjs left for main.js, taken once; undefined when main.js was run directly. */
function entryHeld(): HeldSignals | undefined {
  const g = globalThis as { [HELD_KEY]?: HeldSignals };
  const held = g[HELD_KEY];
  delete g[HELD_KEY];
  return held;
}

/**
 * Listens for every signal in FORWARDED_SIGNALS (once per process); replays signals `held` (by default those
 * portolan.cjs left for main.js) caught before.
 */
export function installSignals(held: HeldSignals | undefined = entryHeld()): void {
  const s = state();
  if (!s.installed) {
    s.installed = true;
    for (const sig of FORWARDED_SIGNALS) process.on(sig, (received: NodeJS.Signals) => state().handler(received));
  }
  if (!held) return;
  for (const sig of held.signals) process.off(sig, held.hold);
  for (const sig of held.early.splice(0)) state().handler(sig);
}

/** Makes `handler` receive every caught signal; returns the function that restores the previous handler. */
export function takeSignals(handler: SignalHandler): () => void {
  const s = state();
  const previous = s.handler;
  s.handler = handler;
  return () => {
    if (s.handler === handler) s.handler = previous;
  };
}

/**
 * The graceful stop of a long-running command (registrator, up, dns, catalog serve): resolves with the first
 * SIGTERM or SIGINT; a second one, and every other signal, gets defaultSignal() (a second ^C ends it at once).
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  let stopping = false;
  return new Promise((resolve) => {
    takeSignals((sig) => {
      if ((sig !== "SIGTERM" && sig !== "SIGINT") || stopping) return defaultSignal(sig);
      stopping = true;
      resolve(sig);
    });
  });
}
