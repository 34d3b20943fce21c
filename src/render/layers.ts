// Pure layering: env-file assignments + process env + spec defaults -> one value per name, each with its
// provenance, and the NAME_FILE plan. No I/O here (config.ts reads the files).
//
// Precedence ("slots", higher wins): 0 spec defaults < 1..n env files in load order < n+1 process env.
// With filesOverrideEnv the process env takes slot 1 and the files follow it.
// Inside one file, a later line wins (as in systemd).

import { ENV_NAME } from "./envfile.js";
import type { Spec } from "./spec.js";
import type { ConfigProblem, Provenance } from "./types.js";
import { formatProvenance } from "./types.js";

/** The optional files `--env-dir DIR` loads, in this order (the five EnvironmentFile= lines of the original unit). */
export const ENV_DIR_FILES = ["service-locations.env", "service-config.env", "cluster.env", "secrets.env"] as const;

/** `--env-dir` files for a directory and service name: the four shared files, then `<name>.env` when a name is given. */
export function envDirFiles(dir: string, name?: string): Array<{ path: string; optional: boolean }> {
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  const files: string[] = [...ENV_DIR_FILES];
  if (name) files.push(`${name}.env`);
  return files.map((f) => ({ path: base + f, optional: true }));
}

export interface Assignment {
  key: string;
  value: string;
  source: Provenance;
}

export interface Layered {
  value: string;
  source: Provenance;
  /** Precedence of the source this value came from (see top of file). */
  slot: number;
  /** True when the value was read from a NAME_FILE file. */
  fromFile?: boolean;
}

/** Merges layers given lowest first; layer i gets slot i+1 (slot 0 is for spec defaults). */
export function mergeLayers(layers: Assignment[][]): Map<string, Layered> {
  const out = new Map<string, Layered>();
  layers.forEach((layer, i) => {
    for (const a of layer) out.set(a.key, { value: a.value, source: a.source, slot: i + 1 });
  });
  return out;
}

/** The process env as a layer (undefined values skipped). */
export function processEnvLayer(env: Record<string, string | undefined>): Assignment[] {
  const out: Assignment[] = [];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out.push({ key, value, source: { kind: "process-env" } });
  return out;
}

/** Fills declared variables that are unset or empty with their spec default (slot 0). */
export function applySpecDefaults(merged: Map<string, Layered>, spec: Spec | undefined): void {
  if (!spec) return;
  for (const v of spec.variables.values()) {
    if (v.default === undefined) continue;
    const cur = merged.get(v.name);
    if (cur === undefined || cur.value === "") merged.set(v.name, { value: v.default, source: { kind: "spec-default", spec: spec.file }, slot: 0 });
  }
}

export const FILE_SUFFIX = "_FILE";

/** One NAME_FILE file to read: `name` gets the content of `path`, named by `fileVar` (which came from `fileVarSource`). */
export interface SecretFileRead {
  name: string;
  fileVar: string;
  path: string;
  fileVarSource: Provenance;
  slot: number;
}

export interface SecretFilePlan {
  reads: SecretFileRead[];
  /** NAME and NAME_FILE both set by the same source (same env file, or both in the process env). */
  problems: ConfigProblem[];
  /** NAME set by a higher-precedence source than NAME_FILE: NAME wins, the file is not read. */
  warnings: ConfigProblem[];
}

/**
 * NAME_FILE convention (Docker secrets). For every non-empty NAME_FILE whose NAME passes `applies`:
 * - NAME unset, empty, or only a spec default  -> NAME = content of the file (read by the caller);
 * - NAME from a lower-precedence source        -> same: the file wins (e.g. DB_PASSWORD in secrets.env,
 *                                                 DB_PASSWORD_FILE in the process env);
 * - NAME from a higher-precedence source       -> NAME wins, the file is not read (warning);
 * - NAME from the same source (same file / both in the process env) -> conflict problem naming both.
 */
export function planSecretFiles(merged: Map<string, Layered>, applies: (name: string) => boolean): SecretFilePlan {
  const plan: SecretFilePlan = { reads: [], problems: [], warnings: [] };
  for (const [fileVar, f] of merged) {
    if (!fileVar.endsWith(FILE_SUFFIX) || f.value === "") continue;
    const name = fileVar.slice(0, -FILE_SUFFIX.length);
    if (!ENV_NAME.test(name) || !applies(name)) continue;
    const n = merged.get(name);
    const read: SecretFileRead = { name, fileVar, path: f.value, fileVarSource: f.source, slot: f.slot };
    if (n === undefined || n.value === "" || n.slot === 0 || n.slot < f.slot) {
      plan.reads.push(read);
    } else if (n.slot > f.slot) {
      plan.warnings.push({
        variable: name,
        source: n.source,
        code: "overridden",
        message: `${name} (${formatProvenance(n.source)}) overrides ${fileVar} (${formatProvenance(f.source)}); ${f.value} is not read`,
      });
    } else {
      plan.problems.push({
        variable: name,
        source: n.source,
        code: "conflict",
        message: `${name} (${formatProvenance(n.source)}) and ${fileVar} (${formatProvenance(f.source)}) are both set; set only one of them`,
      });
    }
  }
  return plan;
}

/** File content as a value: exactly one trailing line break ("\n" or "\r\n") removed. */
export function stripOneNewline(content: string): string {
  if (content.endsWith("\r\n")) return content.slice(0, -2);
  if (content.endsWith("\n")) return content.slice(0, -1);
  return content;
}
