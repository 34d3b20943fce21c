// Env-file parsers: pure functions from (text, path) to entries with line numbers plus warnings.
//
// Two syntaxes:
//   "systemd" (default) — exactly what systemd's `EnvironmentFile=` accepts (load_env_file() in
//              src/basic/env-file.c + the env-name check of src/core/execute.c), re-implemented as the same
//              character state machine. Rules (each has a case in test/unit/render-envfile.test.ts):
//     S1  A line whose first non-whitespace character is `#` or `;` is a comment. There are no inline comments:
//         `A=b # c` is "b # c".
//     S2  KEY=VALUE; whitespace before the key, around `=` and inside the key's tail is skipped. Spaces *inside* a
//         key ("export A") make it an invalid name (S9).
//     S3  Unquoted values: leading whitespace skipped, trailing whitespace trimmed; `\x` yields `x` for any x
//         (so `\ ` keeps a trailing space, `\\` is one backslash, `\n` is the letter n); a backslash before the line
//         break continues the value on the next line (the break is dropped, the next line's leading whitespace kept).
//         Quotes in the middle of an unquoted value are literal: `A=a "b"` is `a "b"`.
//     S4  Single quotes: everything literal up to the next `'`, including backslashes and line breaks.
//     S5  Double quotes: `\"`, `\\`, `` \` ``, `\$` are unescaped; backslash + line break is dropped (continuation);
//         any other `\x` keeps both characters; line breaks inside are kept.
//     S6  Quoted and unquoted parts concatenate: `A="a" 'b' c` is "abc" (whitespace between parts is dropped;
//         whitespace after an unquoted part starts is kept up to the final trim).
//     S7  A line without `=` is ignored (systemd: silently; here with a warning naming file:line).
//     S8  The same key twice: the later assignment wins.
//     S9  Names must match [A-Za-z_][A-Za-z0-9_]* — others (including `export A`) are ignored with a warning naming
//         file:line (systemd: "Ignoring invalid environment assignment"). The warning does not echo the line:
//         a mis-pasted multi-line secret would otherwise end up in logs.
//     S10 No variable expansion: `$A`, `${A}`, `$(cmd)` and backticks are literal.
//     S11 Line breaks are LF, CR or CRLF. An unterminated quote runs to the end of the file (as in systemd; here
//         with a warning). Text after a NUL character is ignored (the C loop stops at NUL).
//     Checked against systemd's own test vectors (src/test/test-env-file.c, v255; see the tests), not against a
//     running systemd (none can run in the build environment). Unverified: the NUL rule. Not replicated: systemd
//     rejects a whole file with invalid UTF-8, which we cannot see after decoding (invalid bytes become U+FFFD);
//     EnvironmentFile= globs. Version note: systemd < 254 (Debian 12 ships 252) continues a comment line that
//     ends in a backslash onto the next line; this follows current systemd (S1).
//     A UTF-8 byte order mark at the start of the file makes the first name invalid (S9): ignored, with a warning
//     that names the BOM (systemd's own handling of a BOM is unverified).
//     Line numbers here are where the assignment starts; systemd's own messages can be off by one.
//
//   "dotenv" (`--env-format dotenv`) — the motdotla/dotenv parse() rules (v16/v17 lib/main.js; no expansion, as
//   without dotenv-expand). Differences, each a row of the "systemd vs dotenv" test table:
//     | input                    | systemd            | dotenv              |
//     |--------------------------|--------------------|---------------------|
//     | `export A=b`             | ignored (warning)  | A=b                 |
//     | `A=b # c`                | "b # c"            | "b"                 |
//     | `A=b#c`                  | "b#c"              | "b"                 |
//     | `A="b" # c`              | "b# c"             | "b"                 |
//     | `; c`                    | comment            | ignored line        |
//     | `A="x\ny"` (backslash-n) | `x\ny` (kept)      | x<LF>y              |
//     | `A="say \"hi\""`         | say "hi"           | say \"hi\"          |
//     | `A=a\ b`                 | "a b"              | "a\ b"              |
//     | `A=\`x\``                | "`x`"              | "x"                 |
//     | `A="a" 'b'`              | "ab"               | "\"a\" 'b'"         |
//     | backslash-newline        | continuation       | literal             |
//     | `a.b-c=1`, `1A=x`        | ignored (warning)  | accepted            |
//     | `A: b`                   | ignored (warning)  | A=b                 |
//     | `A='x<LF>y'`             | x<LF>y             | x<LF>y              |
//     | `A=\`x<LF>y\``           | "`x" (+ warning)   | x<LF>y              |
//     A leading byte order mark is skipped, as dotenv's `^\s*` does.
//     Deliberate difference from dotenv's regex: a name and its `=` (or `: `) must be on the same line
//     (dotenv lets `\s` cross line breaks there, so `A\n=b` would be A=b).
//     Checked against dotenv 17.4.2's parse() (outside this repo) on every test row and 20,000 random inputs:
//     identical results except for that line-crossing case.

import type { ConfigProblem } from "./types.js";

export type EnvFormat = "systemd" | "dotenv";

/** One assignment, with the 1-based line where it starts. */
export interface EnvEntry {
  key: string;
  value: string;
  line: number;
}

export interface ParsedEnvFile {
  /** In file order; a later entry for the same key overrides an earlier one. */
  entries: EnvEntry[];
  /** Ignored lines and similar (code "ignored-line"); never contain values. */
  warnings: ConfigProblem[];
}

export function parseEnvFile(text: string, path: string, format: EnvFormat): ParsedEnvFile {
  return format === "dotenv" ? parseDotenv(text, path) : parseSystemdEnv(text, path);
}

/** POSIX / systemd variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function warning(path: string, line: number, message: string): ConfigProblem {
  return { source: { kind: "file", path, line }, message: `${path}:${line}: ${message}`, code: "ignored-line" };
}

const enum S {
  PreKey,
  Key,
  PreValue,
  Value,
  ValueEscape,
  SingleQuote,
  DoubleQuote,
  DoubleQuoteEscape,
  Comment,
  CommentEscape,
}

const BOM = "\uFEFF";
const isWhitespace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";
const isNewline = (c: string) => c === "\n" || c === "\r";
const SHELL_NEED_ESCAPE = "\"\\`$";

/** systemd `EnvironmentFile=` syntax (see rules S1..S11 above). */
export function parseSystemdEnv(input: string, path: string): ParsedEnvFile {
  const nul = input.indexOf("\0");
  const text = nul >= 0 ? input.slice(0, nul) : input;
  const entries: EnvEntry[] = [];
  const warnings: ConfigProblem[] = [];
  let state = S.PreKey;
  let key = "";
  let value = "";
  let lastKeyWs = -1; // index in key where trailing whitespace starts, -1 = none
  let lastValueWs = -1;
  let line = 1;
  let keyLine = 1;

  const push = (trimValue: boolean) => {
    const k = lastKeyWs >= 0 ? key.slice(0, lastKeyWs) : key;
    const v = trimValue && lastValueWs >= 0 ? value.slice(0, lastValueWs) : value;
    if (ENV_NAME.test(k)) entries.push({ key: k, value: v, line: keyLine });
    else if (/^export\s/.test(k))
      warnings.push(warning(path, keyLine, "ignoring line: `export` is not supported in systemd env files (use --env-format dotenv)"));
    else if (k.startsWith(BOM) && ENV_NAME.test(k.slice(1)))
      warnings.push(warning(path, keyLine, "ignoring line: the file starts with a UTF-8 byte order mark (BOM), which makes the first name invalid: save the file without it (or use --env-format dotenv)"));
    else warnings.push(warning(path, keyLine, "ignoring line: invalid variable name (allowed: [A-Za-z_][A-Za-z0-9_]*)"));
    key = "";
    value = "";
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    switch (state) {
      case S.PreKey:
        if (c === "#" || c === ";") state = S.Comment;
        else if (!isWhitespace(c)) {
          state = S.Key;
          keyLine = line;
          lastKeyWs = -1;
          key = c;
        }
        break;
      case S.Key:
        if (isNewline(c)) {
          state = S.PreKey;
          warnings.push(warning(path, keyLine, "ignoring line without '='"));
          key = "";
        } else if (c === "=") {
          state = S.PreValue;
          lastValueWs = -1;
        } else {
          if (!isWhitespace(c)) lastKeyWs = -1;
          else if (lastKeyWs < 0) lastKeyWs = key.length;
          key += c;
        }
        break;
      case S.PreValue:
        if (isNewline(c)) {
          state = S.PreKey;
          push(false);
        } else if (c === "'") state = S.SingleQuote;
        else if (c === '"') state = S.DoubleQuote;
        else if (c === "\\") state = S.ValueEscape;
        else if (!isWhitespace(c)) {
          state = S.Value;
          value += c;
        }
        break;
      case S.Value:
        if (isNewline(c)) {
          state = S.PreKey;
          push(true);
        } else if (c === "\\") {
          state = S.ValueEscape;
          lastValueWs = -1;
        } else {
          if (!isWhitespace(c)) lastValueWs = -1;
          else if (lastValueWs < 0) lastValueWs = value.length;
          value += c;
        }
        break;
      case S.ValueEscape:
        state = S.Value;
        if (!isNewline(c)) value += c;
        // An escaped CRLF: systemd eats the CR here, then sees the LF in VALUE state and ends the line.
        break;
      case S.SingleQuote:
        if (c === "'") state = S.PreValue;
        else value += c;
        break;
      case S.DoubleQuote:
        if (c === '"') state = S.PreValue;
        else if (c === "\\") state = S.DoubleQuoteEscape;
        else value += c;
        break;
      case S.DoubleQuoteEscape:
        state = S.DoubleQuote;
        if (SHELL_NEED_ESCAPE.includes(c)) value += c;
        else if (c !== "\n") value += "\\" + c;
        break;
      case S.Comment:
        if (c === "\\") state = S.CommentEscape;
        else if (isNewline(c)) state = S.PreKey;
        break;
      case S.CommentEscape:
        // Since systemd v254 a backslash at the end of a comment no longer continues the comment.
        state = isNewline(c) ? S.PreKey : S.Comment;
        break;
    }
    if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line++;
  }

  switch (state) {
    case S.Key:
      warnings.push(warning(path, keyLine, "ignoring line without '='"));
      break;
    case S.SingleQuote:
    case S.DoubleQuote:
    case S.DoubleQuoteEscape:
      warnings.push(warning(path, keyLine, "unterminated quote: the value runs to the end of the file"));
      push(false);
      break;
    case S.PreValue:
    case S.ValueEscape:
      push(false);
      break;
    case S.Value:
      push(true);
      break;
    default:
      break;
  }
  return { entries, warnings };
}

// One assignment per match; names and separators on one line, quoted values may span lines.
// Groups: 1 = name, 2 = raw value (quoted including its quotes, or unquoted up to `#` / end of line).
const DOTENV_LINE =
  /^[ \t]*(?:export[ \t]+)?([\w.-]+)(?:[ \t]*=[ \t]*|:[ \t]+)('(?:\\'|[^'])*'|"(?:\\"|[^"])*"|`(?:\\`|[^`])*`|[^#\n]+)?[ \t]*(?:#[^\n]*)?$/gm;
const SURROUNDING_QUOTES = /^(['"`])([\s\S]*)\1$/;

/** motdotla/dotenv syntax (see the table above). */
export function parseDotenv(input: string, path: string): ParsedEnvFile {
  // A leading byte order mark is whitespace to dotenv's `^\s*` (and to JavaScript): skipped.
  const text = (input.startsWith(BOM) ? input.slice(1) : input).replace(/\r\n?/g, "\n");
  const entries: EnvEntry[] = [];
  const warnings: ConfigProblem[] = [];
  const lines = text.split("\n");
  const covered = new Uint8Array(lines.length + 1);
  let line = 1;
  let scanned = 0;
  const lineAt = (index: number) => {
    for (let i = scanned; i < index; i++) if (text.charCodeAt(i) === 10) line++;
    scanned = Math.max(scanned, index);
    return line;
  };

  for (const m of text.matchAll(DOTENV_LINE)) {
    if (m[0] === "") continue;
    const start = lineAt(m.index);
    let end = start;
    for (const ch of m[0]) if (ch === "\n") end++;
    for (let l = start; l <= end; l++) covered[l] = 1;
    let value = (m[2] ?? "").trim();
    const first = value[0];
    value = value.replace(SURROUNDING_QUOTES, "$2");
    if (first === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    entries.push({ key: m[1]!, value, line: start });
  }
  lines.forEach((l, i) => {
    const t = l.trim();
    if (t !== "" && !t.startsWith("#") && !covered[i + 1]) warnings.push(warning(path, i + 1, "ignoring line: not NAME=VALUE"));
  });
  return { entries, warnings };
}
