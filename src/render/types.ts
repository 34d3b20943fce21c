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
  /** Typed value after spec validation (number for int/port/duration-ms, boolean, string[] for lists...). */
  typed: unknown;
  source: Provenance;
  secret: boolean;
}

/** The validated configuration: every variable the program and templates see. */
export interface ResolvedConfig {
  values: Map<string, ResolvedValue>;
  /** Names whose values must be masked wherever output is shown (logs, errors, --dry-run). */
  secrets: Set<string>;
}

/** One problem found while loading or validating; all are collected and reported at once. */
export interface ConfigProblem {
  variable?: string;
  source?: Provenance;
  message: string;
}
