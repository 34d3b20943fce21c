// The signals portolan handles itself (every command, from its first instruction) and what each one means.
// Kept free of imports: scripts/portolan.cjs lists the same names before anything is loaded (a unit test
// checks both lists are equal).

/**
 * Signals portolan catches (and `exec` passes on to the program). SIGKILL/SIGSTOP cannot be caught; SIGCHLD,
 * SIGPIPE and fault signals (SIGSEGV, SIGBUS, ...) are about portolan itself. Catching SIGUSR1 also keeps Node's
 * inspector (a debugger on 127.0.0.1:9229) from ever starting.
 */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGALRM", "SIGTSTP", "SIGTTIN", "SIGTTOU",
];

/** Signals that mean "shut down" to a running program: forwarded, then SIGKILL once the kill timeout passes. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];

/** With no program to pass them to, these end portolan with 128+signal (they terminate a process by default). */
export const ENDING_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"];

/** With no program to pass them to, these stop portolan (SIGSTOP), as they stop a process by default. */
export const STOPPING_SIGNALS: readonly NodeJS.Signals[] = ["SIGTSTP", "SIGTTIN", "SIGTTOU"];

/** What a terminal's line discipline sends to its whole foreground process group (^C, ^\, ^Z, a resize). */
export const TERMINAL_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGQUIT", "SIGTSTP", "SIGWINCH"];
