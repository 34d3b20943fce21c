// Every exit code portolan ends with, in one table per command family. `--help` is generated from these tables
// and a test checks that docs/exit-codes.md shows exactly them (test/unit/exit-codes.test.ts).
//
// Codes a command decides are sysexits(3) values (64..78): programs rarely use them (they exit 0, 1, 2, 126, 127
// or 128+signal), so "portolan refused to start the program" is distinguishable from "the program failed".
/** EX_USAGE: bad flags, arguments or environment settings, for every command. */
export const EXIT_USAGE = 64;
/** EX_DATAERR: a template failed to render (unknown name, syntax error). */
export const EXIT_TEMPLATE = 65;
/** EX_NOINPUT: a template source does not exist, cannot be read, or is over its size limit. */
export const EXIT_NOINPUT = 66;
/** EX_UNAVAILABLE: the registry (`--registry`) could not be reached. */
export const EXIT_UNAVAILABLE = 69;
/** EX_SOFTWARE: internal error (a bug in portolan). */
export const EXIT_SOFTWARE = 70;
/** EX_OSERR: the child could not be started (fork/exec failed, command not found). */
export const EXIT_OSERR = 71;
/** EX_CANTCREAT: an output file could not be written. */
export const EXIT_CANTCREAT = 73;
/** EX_TEMPFAIL: `--wait` targets did not become ready within `--wait-timeout`. */
export const EXIT_TEMPFAIL = 75;
/** EX_CONFIG: the configuration (env files, spec, credentials, certificates) is wrong; retrying will not help. */
export const EXIT_CONFIG = 78;

export interface ExitCodeRow {
  /** The code, or a word for codes that are not portolan's own (`program's`). */
  code: number | string;
  /** Markdown (backticks allowed): shown in docs/exit-codes.md as is, in `--help` without backticks. */
  meaning: string;
}

/** `portolan render` and `portolan exec`. */
export const RENDER_EXIT_CODES: readonly ExitCodeRow[] = [
  { code: "*program's*", meaning: "`exec`: the program's own exit code, or 128+signal" },
  { code: 0, meaning: "`render`: done" },
  {
    code: EXIT_USAGE,
    meaning:
      "usage: unknown or malformed flag or environment setting (`PORTOLAN_LOG_LEVEL`), conflicting flags, a duration out of range (each named), `--exec-replace` without `process.execve`, a MODE above `0777` without `--allow-special-modes`, two outputs with one DEST, a dot-only `--template-dir` name",
  },
  { code: EXIT_TEMPLATE, meaning: "template error: unknown name (`file:line`), mustache syntax error" },
  { code: EXIT_NOINPUT, meaning: "a template file or directory cannot be read, or a template is over its size limit" },
  { code: EXIT_UNAVAILABLE, meaning: "`--registry` unreachable (or no catalog within `--wait-timeout`)" },
  { code: EXIT_SOFTWARE, meaning: "internal error (a bug in portolan): message and stack printed, secrets masked" },
  {
    code: EXIT_OSERR,
    meaning:
      "the program could not be started (not found, not executable); E2BIG (a variable over 128 KiB, or all of them over `ARG_MAX`) names the five largest variables with their sizes, never a value",
  },
  { code: EXIT_CANTCREAT, meaning: "an output file could not be written" },
  { code: EXIT_TEMPFAIL, meaning: "`--wait` targets not ready within `--wait-timeout` (each named)" },
  {
    code: EXIT_CONFIG,
    meaning:
      "configuration invalid: env files, spec, missing/mistyped variables, unreadable `NAME_FILE`, a NUL byte in a value, a secret too short to mask, an input over its size limit (all listed); `--registry` refuses the token or certificates (see Backends)",
  },
];

/** `portolan registrator` and `portolan up`. */
export const REGISTRATOR_EXIT_CODES: readonly ExitCodeRow[] = [
  { code: 0, meaning: "stopped by SIGTERM/SIGINT" },
  { code: EXIT_USAGE, meaning: "usage: bad flag, value, environment setting (`PORTOLAN_LOG_LEVEL`) or registry URI (the message names it)" },
  { code: EXIT_SOFTWARE, meaning: "internal error (a bug in portolan): message and stack printed, URL credentials masked" },
  { code: EXIT_CONFIG, meaning: "configuration: the backend refuses the credentials at start-up" },
];

/** Servers: `portolan dns` and `portolan catalog serve`. */
export const SERVER_EXIT_CODES: readonly ExitCodeRow[] = [
  { code: 0, meaning: "stopped by SIGTERM/SIGINT" },
  { code: EXIT_USAGE, meaning: "usage: bad flag, value, environment setting or registry URI, or a listen address that is taken or not permitted (the message names it)" },
  { code: EXIT_SOFTWARE, meaning: "internal error (a bug in portolan): message and stack printed, URL credentials masked" },
  { code: EXIT_CONFIG, meaning: "configuration: the backend refuses the credentials at start-up" },
];

/** `portolan catalog` (views; `catalog serve` is a server, SERVER_EXIT_CODES). */
export const CATALOG_EXIT_CODES: readonly ExitCodeRow[] = [
  { code: 0, meaning: "shown (with `--watch`: stopped by SIGTERM/SIGINT); `catalog serve`: as `portolan dns`" },
  { code: EXIT_USAGE, meaning: "usage: bad flag, filter or registry URI (named), or a `--listen` address that is taken or not permitted" },
  { code: EXIT_NOINPUT, meaning: "`catalog service NAME`: no instance of that service (one line on stderr, nothing on stdout)" },
  { code: EXIT_UNAVAILABLE, meaning: "no catalog from the registry within `--timeout` (default 10s, the start-up access check included), or nothing that serves one there (`portolan://`: connection refused, not a portolan catalog; said at once, with the address)" },
  { code: EXIT_SOFTWARE, meaning: "internal error (a bug in portolan): message and stack printed, URL credentials masked" },
  { code: EXIT_CONFIG, meaning: "configuration: the backend refuses the credentials" },
];

/** The table as docs/exit-codes.md shows it. */
export function exitCodesMarkdown(rows: readonly ExitCodeRow[]): string {
  return ["| code | meaning |", "|---|---|", ...rows.map((r) => `| ${r.code} | ${r.meaning} |`)].join("\n");
}

/** The table as `--help` shows it. */
export function exitCodesHelp(rows: readonly ExitCodeRow[]): string {
  const plain = (s: string) => s.replace(/[`*]/g, "");
  const width = Math.max(...rows.map((r) => plain(String(r.code)).length));
  return ["Exit codes:", ...rows.map((r) => `  ${plain(String(r.code)).padEnd(width)}  ${plain(r.meaning)}`)].join("\n");
}
