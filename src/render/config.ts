// The one entry point of config loading: env files + process env + spec -> ResolvedConfig, or a ConfigError
// listing every problem. Effects (file reads) go through the injectable `readFile`; everything else is pure
// (envfile.ts, layers.ts, spec.ts, secrets.ts).
//
// Decisions:
// - Precedence, lowest first: spec defaults < `--environment-file` files in the order given < `--env-dir` files
//   (service-locations.env, service-config.env, cluster.env, secrets.env, <name>.env) < process env.
//   `--env-dir` comes after the explicit files: the explicit files are typically defaults baked into the image
//   (ENTRYPOINT ["portolan","exec","--environment-file","/app/defaults.env",...]) while the env dir is what the
//   operator mounts at run time, ending with the most specific <name>.env — as the five EnvironmentFile= lines of
//   the original unit. With `filesOverrideEnv`, all files beat the process env (process env becomes the lowest
//   layer above spec defaults).
// - Optional files (`-PATH`, every `--env-dir` file) may be missing (ENOENT/ENOTDIR); the `--env-dir` directory
//   itself may not (a wrong path or a missing mount), an empty one is a warning. Any other read error
//   (permission denied, a directory) is a problem even for optional files: a secrets.env that exists but cannot be
//   read must not silently start the program without its secrets.
// - Empty counts as unset for the spec: `required` fails on "", a default replaces "".
// - NAME_FILE: see planSecretFiles() in layers.ts for precedence. It applies to NAME when NAME is declared in the
//   spec or NAME looks secret (secret-name pattern) — not to every *_FILE, because LOG_FILE or PID_FILE are plain
//   paths. The file is read relative to the working directory, exactly one trailing newline is stripped, and the
//   value is always secret. NAME_FILE itself stays in the environment.
// - What reaches the program: every layered variable (the whole process env, every env-file assignment, spec
//   defaults, NAME_FILE values). The spec validates and types the variables it declares; it filters nothing.

// fs.promises is loaded on first use: importing node:fs/promises costs ~3 ms at every container start. The
// container-start path itself never uses it: `--env-dir` is stat'ed synchronously (one call, no round trip).
import { promises as fsp, statSync } from "node:fs";
import { parseEnvFile, type EnvFormat } from "./envfile.js";
import { ConfigError } from "./errors.js";
import { applySpecDefaults, envDirFiles, mergeLayers, planSecretFiles, processEnvLayer, stripOneNewline, type Assignment } from "./layers.js";
import { Redactor, secretForms, secretFormsProblem } from "../core/redact.js";
import { InputTooLargeError, NotRegularFileError } from "./limits.js";
import { DEFAULT_SECRET_NAME_PATTERN, isSecretName, MASK } from "./secrets.js";
import { checkVariables, type Spec } from "./spec.js";
import type { ConfigProblem, ResolvedConfig, ResolvedValue } from "./types.js";
import { formatProvenance } from "./types.js";

export interface EnvFileRef {
  path: string;
  /** `-PATH` on the command line: a missing file is skipped. */
  optional: boolean;
}

export interface LoadConfigOptions {
  /** `--environment-file` files, in the order given. */
  envFiles: EnvFileRef[];
  /** `--env-dir`: loads its standard files (all optional) after `envFiles`. */
  envDir?: string;
  /** `--name`: adds `<envDir>/<name>.env` as the last env-dir file. */
  name?: string;
  format: EnvFormat;
  /** Files beat the process env (default: the process env wins). */
  filesOverrideEnv?: boolean;
  processEnv: Record<string, string | undefined>;
  spec?: Spec;
  /** Names matching this are secret unless the spec says otherwise; null = only spec/NAME_FILE make secrets. */
  secretNamePattern?: RegExp | null;
  /** Injectable file reader (env files and NAME_FILE files); errors carry Node's `code` (ENOENT, EACCES...). */
  readFile?: (path: string) => Promise<string>;
  /** Injectable stat (what `envDir` is); errors carry Node's `code`. */
  stat?: (path: string) => Promise<{ isDirectory(): boolean }>;
  /**
   * Called with every form of every secret value (core/redact.ts secretForms) as soon as they are known, before
   * any problem is reported: the CLI hands them to the process's redactor, so that no message (not even one about
   * a non-secret variable whose value contains a secret) shows them.
   */
  onSecrets?: (forms: string[]) => void;
}

const defaultReadFile = (p: string) => fsp.readFile(p, "utf8");

/**
 * `--env-dir` must name a directory: its files are each optional (an empty directory is a warning), but a missing
 * directory is a wrong path or a missing mount, and the program would start without any of its configuration.
 */
async function envDirProblem(dir: string, stat: NonNullable<LoadConfigOptions["stat"]>): Promise<ConfigProblem | undefined> {
  try {
    if ((await stat(dir)).isDirectory()) return undefined;
    return { code: "env-dir-missing", message: `--env-dir ${dir}: not a directory` };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { code: "env-dir-missing", message: `--env-dir ${dir}: ${isMissing(e) ? "no such directory" : `cannot be read (${errText(e)})`}` };
  }
}

type ReadResult = { ok: true; text: string } | { ok: false; err: NodeJS.ErrnoException };

async function tryRead(read: (p: string) => Promise<string>, path: string): Promise<ReadResult> {
  try {
    return { ok: true, text: await read(path) };
  } catch (err) {
    return { ok: false, err: err as NodeJS.ErrnoException };
  }
}

const isMissing = (err: NodeJS.ErrnoException) => err.code === "ENOENT" || err.code === "ENOTDIR";
const errText = (err: NodeJS.ErrnoException) =>
  err instanceof InputTooLargeError || err instanceof NotRegularFileError ? err.message : (err.code ?? err.message);

/** The env files loadConfig reads, in precedence order (lowest first). */
export function envFileList(opts: Pick<LoadConfigOptions, "envFiles" | "envDir" | "name">): EnvFileRef[] {
  return [...opts.envFiles, ...(opts.envDir ? envDirFiles(opts.envDir, opts.name) : [])];
}

/** Loads, layers and validates the configuration. Throws ConfigError with every problem found. */
export async function loadConfig(opts: LoadConfigOptions): Promise<ResolvedConfig> {
  const read = opts.readFile ?? defaultReadFile;
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];

  const files = envFileList(opts);
  const [texts, dirProblem] = await Promise.all([
    Promise.all(files.map((f) => tryRead(read, f.path))),
    opts.envDir ? envDirProblem(opts.envDir, opts.stat ?? (async (p) => statSync(p))) : undefined,
  ]);
  if (dirProblem) problems.push(dirProblem);
  const fileLayers: Assignment[][] = [];
  const firstDirFile = opts.envFiles.length;
  let dirFilesFound = 0;
  files.forEach((f, i) => {
    const r = texts[i]!;
    if (i >= firstDirFile && !(!r.ok && isMissing(r.err))) dirFilesFound++;
    if (!r.ok) {
      if (isMissing(r.err) && f.optional) return;
      const code = isMissing(r.err) ? "file-missing" : "file-unreadable";
      const what = isMissing(r.err) ? "not found" : `cannot be read (${errText(r.err)})`;
      if (r.err instanceof InputTooLargeError) {
        problems.push({ code: "too-large", message: `environment file ${f.path}: ${r.err.message}` });
        return;
      }
      problems.push({ code, message: `environment file ${f.path}: ${what}` });
      return;
    }
    const nul = r.text.indexOf("\0");
    if (nul >= 0) {
      // systemd stops reading at a NUL (S11) and dotenv would keep it in a value no environment can hold: either
      // way variables would vanish or fail later without a word. The message names the line, never its text.
      const line = r.text.slice(0, nul).split("\n").length;
      const source = { kind: "file", path: f.path, line } as const;
      problems.push({ code: "nul-byte", source, message: `environment file ${f.path}:${line}: contains a NUL byte, which no environment variable can hold` });
      return;
    }
    const parsed = parseEnvFile(r.text, f.path, opts.format);
    warnings.push(...parsed.warnings);
    fileLayers.push(parsed.entries.map((e) => ({ key: e.key, value: e.value, source: { kind: "file", path: f.path, line: e.line } })));
  });

  if (opts.envDir && dirFilesFound === 0 && !dirProblem) {
    // Probably a wrong path or a missing mount: say so instead of silently loading nothing.
    warnings.push({ code: "env-dir-empty", message: `--env-dir ${opts.envDir}: none of ${files.slice(firstDirFile).map((f) => f.path.slice(f.path.lastIndexOf("/") + 1)).join(", ")} exists` });
  }

  const envLayer = processEnvLayer(opts.processEnv);
  const merged = mergeLayers(opts.filesOverrideEnv ? [envLayer, ...fileLayers] : [...fileLayers, envLayer]);
  applySpecDefaults(merged, opts.spec);

  const pattern = opts.secretNamePattern === undefined ? DEFAULT_SECRET_NAME_PATTERN : opts.secretNamePattern;
  const declared = opts.spec?.variables;
  const plan = planSecretFiles(merged, (name) => declared?.has(name) === true || isSecretName(name, undefined, pattern));
  problems.push(...plan.problems);
  warnings.push(...plan.warnings);
  const contents = await Promise.all(plan.reads.map((r) => tryRead(read, r.path)));
  const unreadable = new Set<string>();
  plan.reads.forEach((r, i) => {
    const c = contents[i]!;
    if (!c.ok) {
      unreadable.add(r.name);
      problems.push({
        variable: r.name,
        source: r.fileVarSource,
        code: "secret-file-unreadable",
        message: `${r.name}: cannot read ${r.path} (${r.fileVar} from ${formatProvenance(r.fileVarSource)}): ${errText(c.err)}`,
      });
      merged.delete(r.name);
      return;
    }
    merged.set(r.name, { value: stripOneNewline(c.text), source: { kind: "secret-file", path: r.path, via: r.fileVar }, slot: r.slot, fromFile: true });
  });

  const values = new Map<string, ResolvedValue>();
  const secrets = new Set<string>();
  for (const [name, l] of merged) {
    const secret = l.fromFile === true || isSecretName(name, declared?.get(name)?.secret, pattern);
    if (secret) secrets.add(name);
    values.set(name, { value: l.value, typed: declared?.has(name) ? undefined : l.value, source: l.source, secret });
  }
  // Raw forms first: validation messages about other variables are redacted with them (DATABASE_URL=mysql://u:<secret>@db).
  const rawForms = [...secrets].flatMap((n) => secretForms(values.get(n)!.value));
  opts.onSecrets?.(rawForms);
  const redactor = new Redactor();
  redactor.add(rawForms);
  problems.push(...valueProblems(values));
  if (opts.spec) {
    const checked = checkVariables(values, opts.spec, (text) => redactor.redact(text));
    // A NAME whose NAME_FILE could not be read is already reported; do not also call it missing.
    problems.push(...checked.problems.filter((p) => !(p.code === "missing" && unreadable.has(p.variable ?? ""))));
    for (const [name, typed] of checked.typed) values.get(name)!.typed = typed;
  }
  problems.push(...secretProblems(values, secrets, opts.onSecrets));
  if (problems.length > 0) throw new ConfigError(problems);
  return { values, secrets, warnings };
}

/** NUL bytes: no environment variable can hold one (execve would refuse it). Names the variable, never the value. */
function valueProblems(values: Map<string, ResolvedValue>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, v] of values) {
    if (v.value.includes("\0")) {
      problems.push({ variable: name, source: v.source, code: "invalid", message: `${name} (${formatProvenance(v.source)}): contains a NUL byte, which no environment variable can hold` });
    }
  }
  return problems;
}

/** Every form of every secret (typed forms too, now known) goes to `onSecrets`; secrets too short to mask are problems. */
function secretProblems(values: Map<string, ResolvedValue>, secrets: Set<string>, onSecrets: LoadConfigOptions["onSecrets"]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const all: string[] = [];
  for (const name of secrets) {
    const v = values.get(name)!;
    const forms = secretForms(v.value, v.typed);
    all.push(...forms);
    const why = forms.length > 0 ? secretFormsProblem(v.value, forms) : undefined;
    if (why) problems.push({ variable: name, source: v.source, code: "secret-too-short", message: `${name} (${formatProvenance(v.source)}) ${why}` });
  }
  onSecrets?.(all);
  return problems;
}

/** The environment for the child program: every resolved variable's raw value. */
export function childEnv(config: ResolvedConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, v] of config.values) env[name] = v.value;
  return env;
}

/** `--environment-file` argument -> file reference: a leading `-` marks it optional (systemd's `EnvironmentFile=-PATH`). */
export function envFileRef(arg: string): EnvFileRef {
  return arg.startsWith("-") ? { path: arg.slice(1), optional: true } : { path: arg, optional: false };
}

/**
 * Human-readable listing for `--dry-run` / debugging: `NAME=value  # provenance`, sorted by name, secret values
 * replaced by `********`. `names` restricts the listing (e.g. to the spec's variables).
 */
export function formatResolved(config: ResolvedConfig, names?: Iterable<string>): string {
  const wanted = names ? [...names] : [...config.values.keys()];
  return wanted
    .filter((n) => config.values.has(n))
    .sort()
    .map((n) => {
      const v = config.values.get(n)!;
      return `${n}=${v.secret ? MASK : JSON.stringify(v.value)}  # ${formatProvenance(v.source)}`;
    })
    .join("\n");
}
