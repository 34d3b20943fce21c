// Types shared by the renderer's stages (config loading -> templates -> writer -> child).

/** Where a value came from: an env file line, the process env, a spec default, or a NAME_FILE file. */
export type Provenance =
  | { kind: "file"; path: string; line: number }
  | { kind: "process-env" }
  | { kind: "spec-default"; spec: string }
  | { kind: "secret-file"; path: string; via: string };

export function formatProvenance(p: Provenance): string {
  switch (p.kind) {
    case "file":
      return `${p.path}:${p.line}`;
    case "process-env":
      return "process env";
    case "spec-default":
      return `default in ${p.spec}`;
    case "secret-file":
      return `${p.path} (via ${p.via})`;
  }
}

export interface ResolvedValue {
  /** The raw string value (what the program's env gets). Never log it when `secret` is true. */
  value: string;
  /**
   * Typed value after spec validation: string (string, url, enum), number (int, port, duration in ms), boolean (bool),
   * HostPort[] (hostports). For variables the spec does not declare, or when a declared optional variable is empty,
   * this is the raw string (undeclared) or undefined (declared, empty).
   */
  typed: unknown;
  source: Provenance;
  secret: boolean;
}

/** The validated configuration: every variable the program and templates see. */
export interface ResolvedConfig {
  values: Map<string, ResolvedValue>;
  /** Names whose values must be masked wherever output is shown (logs, errors, --dry-run). */
  secrets: Set<string>;
  /** Non-fatal findings (ignored env-file lines, NAME vs NAME_FILE overrides). Never contain secret values. */
  warnings?: ConfigProblem[];
}

/** One entry of a `hostports` variable ("db1:27017,[::1]:27018"): host without brackets, `hostPort` as `host:port` / `[v6]:port`. */
export interface HostPort {
  host: string;
  port: number;
  hostPort: string;
}

/** What kind of problem: tests and callers branch on this, never on message text. */
export type ConfigProblemCode =
  | "file-missing"
  | "file-unreadable"
  | "missing"
  | "invalid"
  | "conflict"
  | "secret-file-unreadable"
  | "ignored-line"
  | "overridden"
  | "env-dir-empty"
  | "env-dir-missing"
  | "secret-too-short"
  | "too-large"
  | "nul-byte";

/** One problem found while loading or validating; all are collected and reported at once. */
export interface ConfigProblem {
  variable?: string;
  source?: Provenance;
  /** The whole line shown to the operator (names the variable and formatProvenance(source)); never a secret value. */
  message: string;
  code?: ConfigProblemCode;
}
