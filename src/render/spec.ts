// The spec (`--spec FILE`): which variables the program needs, their types, defaults and secrecy.
//
// Validation of the spec file is hand-written, not zod: importing zod costs ~110 ms on this machine
// (as much as `node -e 0` itself), and this code runs on every container start (`portolan exec`).
// `yaml` (~75 ms) is imported only for YAML specs, and for JSON specs only to point at the line of an error.

// fs.promises is loaded on first use: importing node:fs/promises costs ~3 ms at every container start.
import { promises as fsp } from "node:fs";
import { createRequire } from "node:module";
import type * as V8 from "node:v8";
import { isRecord } from "../core/model.js";
import { ENV_NAME } from "./envfile.js";
import { SpecError, type SpecProblem } from "./errors.js";
import { checkType, VARIABLE_TYPES, type TypeSettings, type VariableType } from "./spec-values.js";
import { formatProvenance, type ConfigProblem, type Provenance } from "./types.js";
import { firstDuplicateKey } from "./json-keys.js";

/**
 * Spec file format — JSON (`.json`) or YAML (`.yaml`, `.yml`; other names: JSON when the text starts with `{`):
 *
 * ```yaml
 * description: push-server          # optional, free text
 * variables:
 *   MONGODB_URL: { type: url, required: true, schemes: [mongodb, mongodb+srv], description: "replica set URL" }
 *   PORT:        { type: port, default: 8080 }
 *   LOG_LEVEL:   { type: enum, values: [debug, info, warn], default: info }
 *   API_KEY:     { type: string, secret: true, required: true, pattern: "^sk_" }
 *   PEERS:       hostports           # shorthand: just the type
 *   TIMEOUT:     { type: duration, default: 5s }
 *   DEBUG:       { type: bool, default: false }
 *   WORKERS:     { type: int, min: 1, max: 64 }
 *   NOTE:                            # empty: an optional string
 * ```
 *
 * Per variable (all optional):
 * - `type`: string (default) | int (`min`, `max`) | port (1..65535, `min`, `max`) | bool (true/false/1/0/yes/no/on/off,
 *   any case) | url (WHATWG URL; `schemes`: allowed schemes without `:`; multi-host authorities such as
 *   `mongodb://a:1,b:2/db` are accepted, each host checked) | hostports (`h1:p1,h2:p2,[v6]:p3`) | enum (`values`,
 *   required) | duration (Go style: 250ms, 5s, 1m30s; typed value in ms).
 * - `required`: the variable must be set and non-empty. Exclusive with `default`.
 * - `default`: used when no env file and not the process env set the variable (or set it empty). Scalars are
 *   turned into strings (`default: 8080` is "8080"). It must itself pass the type and pattern.
 * - `secret`: true = never shown (masked in logs, errors, dry runs); false = not secret even if the name looks
 *   like one; absent = secret when the name matches the default secret-name pattern (see secrets.ts).
 * - `pattern`: a JavaScript regular expression the raw value must match (unanchored: write `^...$`).
 * - `description`: shown when a required variable is missing.
 * Unknown keys are errors (a typo such as `requried` must not silently disable a check).
 * Empty values count as unset: an empty optional variable is passed through, but not type-checked.
 */
export interface VariableSpec extends TypeSettings {
  name: string;
  type: VariableType;
  required: boolean;
  default?: string;
  secret?: boolean;
  pattern?: RegExp;
  description?: string;
}

export interface Spec {
  /** The spec file's path, as given (used in provenance "default in FILE" and errors). */
  file: string;
  description?: string;
  variables: Map<string, VariableSpec>;
}

export type ReadText = (path: string) => Promise<string>;
const defaultRead: ReadText = (p) => fsp.readFile(p, "utf8");

/** Reads and validates a spec file; throws SpecError (every problem, with lines where known). */
export async function loadSpec(file: string, readFile: ReadText = defaultRead): Promise<Spec> {
  let text: string;
  try {
    text = await readFile(file);
  } catch (err) {
    throw new SpecError({ file, problems: [{ path: "", message: `cannot read: ${(err as Error).message}` }], cause: err });
  }
  return parseSpec(text, file);
}

let backtrackingBounded = false;
/**
 * A `pattern` with nested quantifiers (`^(a+)+$`, `^(\w+\s?)*$`) backtracks exponentially on a value that almost
 * matches: 31 characters held container start for minutes, in a synchronous call no signal interrupts. V8 then
 * switches such a match to its linear-time engine (after a bounded number of backtracks), set here once, before
 * the first pattern is compiled (at run time: a flag on the node command line would invalidate the bundle's code
 * cache). Patterns with backreferences or lookarounds cannot switch; docs/render.md says so.
 */
function boundBacktracking(): void {
  if (backtrackingBounded) return;
  backtrackingBounded = true;
  // node:v8 (with heap_utils and promise_hooks: ~2 ms) is loaded here, for a spec with a pattern only. Any
  // absolute path serves createRequire for a built-in, in the ES modules and in the CommonJS bundle alike.
  const v8 = createRequire("/")("node:v8") as typeof V8;
  v8.setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
}

type Path = Array<string | number>;
interface RawProblem {
  path: Path;
  message: string;
}

function isYamlFile(file: string, text: string): boolean {
  if (/\.ya?ml$/i.test(file)) return true;
  if (/\.json$/i.test(file)) return false;
  return !text.trimStart().startsWith("{");
}

/** Parses spec text (JSON or YAML by file name) and validates it. */
export async function parseSpec(text: string, file: string): Promise<Spec> {
  let data: unknown;
  if (isYamlFile(file, text)) {
    const { parseDocument } = await import("yaml");
    const doc = parseDocument(text);
    if (doc.errors.length > 0) {
      const problems = doc.errors.map((e) => ({ path: "", line: e.linePos?.[0].line, message: e.message.split("\n")[0]! }));
      throw new SpecError({ file, problems });
    }
    try {
      data = doc.toJS(); // throws on aliases that expand too far ("billion laughs"), unbounded otherwise
    } catch (err) {
      throw new SpecError({ file, problems: [{ path: "", message: (err as Error).message }], cause: err });
    }
  } else {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      throw new SpecError({ file, problems: [{ path: "", line: await jsonErrorLine(text, message), message }], cause: err });
    }
    const dup = firstDuplicateKey(text);
    if (dup) throw new SpecError({ file, problems: [{ path: "", line: dup.line, message: `duplicate key ${JSON.stringify(dup.key)} (keys must be unique)` }] });
  }
  const { spec, problems } = specFromData(data, file);
  if (problems.length > 0) throw new SpecError({ file, problems: await locate(text, problems) });
  return spec;
}

/** From JSON.parse's "at position N" when it says so, else from yaml (JSON is YAML 1.2). */
async function jsonErrorLine(text: string, message: string): Promise<number | undefined> {
  const pos = /at position (\d+)/.exec(message);
  if (pos) return lineOf(text, Number(pos[1]));
  const { parseDocument } = await import("yaml");
  return parseDocument(text).errors[0]?.linePos?.[0].line;
}

/** Adds line numbers to problems by looking their paths up in the YAML/JSON syntax tree (error path only). */
async function locate(text: string, problems: RawProblem[]): Promise<SpecProblem[]> {
  const { parseDocument, isNode } = await import("yaml");
  const doc = parseDocument(text);
  return problems.map((p) => {
    let line: number | undefined;
    for (let n = p.path.length; n >= 0 && line === undefined; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(p.path.slice(0, n), true);
      if (isNode(node) && node.range) line = lineOf(text, node.range[0]);
    }
    return { path: p.path.join("."), line, message: p.message };
  });
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const VAR_KEYS = new Set(["type", "required", "default", "secret", "pattern", "description", "min", "max", "values", "schemes"]);

/** Pure: validates parsed spec data. Problems carry paths inside the file (no lines yet). */
export function specFromData(data: unknown, file: string): { spec: Spec; problems: RawProblem[] } {
  const problems: RawProblem[] = [];
  const spec: Spec = { file, variables: new Map() };
  if (!isRecord(data)) {
    problems.push({ path: [], message: "must be a mapping with a `variables` key" });
    return { spec, problems };
  }
  for (const key of Object.keys(data)) {
    if (key !== "variables" && key !== "description") problems.push({ path: [key], message: "unknown key (expected: variables, description)" });
  }
  if (data.description !== undefined) {
    if (typeof data.description === "string") spec.description = data.description;
    else problems.push({ path: ["description"], message: "must be a string" });
  }
  const vars = data.variables;
  if (vars === undefined || vars === null) return { spec, problems };
  if (!isRecord(vars)) {
    problems.push({ path: ["variables"], message: "must be a mapping of variable names" });
    return { spec, problems };
  }
  for (const [name, raw] of Object.entries(vars)) {
    const v = variableFromData(name, raw, (path, message) => problems.push({ path: ["variables", name, ...path], message }));
    if (v) spec.variables.set(name, v);
  }
  return { spec, problems };
}

type Report = (path: Path, message: string) => void;

function variableFromData(name: string, raw: unknown, report: Report): VariableSpec | undefined {
  let ok = true;
  const bad: Report = (path, message) => {
    ok = false;
    report(path, message);
  };
  if (!ENV_NAME.test(name)) bad([], "is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)");
  const obj: Record<string, unknown> = raw === null ? {} : typeof raw === "string" ? { type: raw } : isRecord(raw) ? raw : {};
  if (raw !== null && typeof raw !== "string" && !isRecord(raw)) bad([], "must be a mapping (or a type name)");
  for (const key of Object.keys(obj)) if (!VAR_KEYS.has(key)) bad([key], `unknown key (expected one of: ${[...VAR_KEYS].join(", ")})`);

  const type = (obj.type ?? "string") as VariableType;
  if (!VARIABLE_TYPES.includes(type)) bad(["type"], `must be one of: ${VARIABLE_TYPES.join(", ")}`);
  const v: VariableSpec = { name, type, required: false };

  const bool = (key: "required" | "secret") => {
    if (obj[key] === undefined) return undefined;
    if (typeof obj[key] === "boolean") return obj[key];
    bad([key], "must be true or false");
    return undefined;
  };
  v.required = bool("required") ?? false;
  const secret = bool("secret");
  if (secret !== undefined) v.secret = secret;
  if (obj.description !== undefined) {
    if (typeof obj.description === "string") v.description = obj.description;
    else bad(["description"], "must be a string");
  }
  if (obj.pattern !== undefined) {
    if (typeof obj.pattern !== "string") bad(["pattern"], "must be a string (a regular expression)");
    else {
      try {
        boundBacktracking();
        v.pattern = new RegExp(obj.pattern);
      } catch (err) {
        bad(["pattern"], `is not a valid regular expression: ${(err as Error).message}`);
      }
    }
  }
  for (const key of ["min", "max"] as const) {
    if (obj[key] === undefined) continue;
    if (type !== "int" && type !== "port") bad([key], "only applies to type int or port");
    else if (typeof obj[key] !== "number" || !Number.isSafeInteger(obj[key])) bad([key], "must be an integer");
    else v[key] = obj[key];
  }
  if (v.min !== undefined && v.max !== undefined && v.min > v.max) bad(["min"], "is greater than max");
  const list = (key: "values" | "schemes", only: VariableType) => {
    const x = obj[key];
    if (x === undefined) return undefined;
    if (type !== only) bad([key], `only applies to type ${only}`);
    else if (!Array.isArray(x) || x.length === 0 || !x.every((e) => ["string", "number", "boolean"].includes(typeof e)))
      bad([key], "must be a non-empty list of strings");
    else return x.map(String);
    return undefined;
  };
  const values = list("values", "enum");
  if (values) v.values = values;
  else if (type === "enum" && obj.values === undefined) bad(["values"], "is required for type enum");
  const schemes = list("schemes", "url");
  if (schemes) v.schemes = schemes.map((s) => s.replace(/:$/, "").toLowerCase());

  if (obj.default !== undefined) {
    const d = obj.default;
    if (typeof d !== "string" && typeof d !== "number" && typeof d !== "boolean") bad(["default"], "must be a string (or number/boolean)");
    else v.default = String(d);
  }
  if (v.required && v.default !== undefined) bad(["default"], "cannot be combined with required: true (a default is never missing)");
  if (ok && v.default !== undefined && v.default !== "") {
    const shown = v.secret ? "the default" : JSON.stringify(v.default);
    const checked = checkType(v.default, v);
    if (!checked.ok) bad(["default"], `${shown} ${checked.reason}`);
    else if (v.pattern && !v.pattern.test(v.default)) bad(["default"], `${shown} does not match pattern ${v.pattern}`);
  }
  return ok ? v : undefined;
}

const MAX_SHOWN = 80;

/**
 * How a value may appear in a message: quoted (and shortened) when not secret, "the value" when secret. `redact`
 * masks secrets inside a non-secret value (a password inside a URL) before it is shortened: a cut through a
 * secret would leave a piece no later masking recognises.
 */
export function showValue(value: string, secret: boolean, redact: (text: string) => string = (t) => t): string {
  if (secret) return "the value";
  const q = redact(JSON.stringify(value));
  return q.length > MAX_SHOWN ? `${q.slice(0, MAX_SHOWN - 2)}…"` : q;
}

/** What validation needs of a resolved value. */
export interface CheckableValue {
  value: string;
  source: Provenance;
  secret: boolean;
}

/**
 * Pure: checks every declared variable and returns every problem (never stops at the first) plus the typed
 * values of those that passed. Undeclared variables are not looked at. Messages never contain secret values:
 * a secret's own value is never quoted, and `redact` masks secrets inside the others.
 */
export function checkVariables(
  values: ReadonlyMap<string, CheckableValue>,
  spec: Spec,
  redact: (text: string) => string = (t) => t,
): { problems: ConfigProblem[]; typed: Map<string, unknown> } {
  const problems: ConfigProblem[] = [];
  const typed = new Map<string, unknown>();
  for (const v of spec.variables.values()) {
    const rv = values.get(v.name);
    if (rv === undefined || rv.value === "") {
      if (v.required) {
        const where = rv ? ` (${formatProvenance(rv.source)}: empty)` : "";
        const what = v.description ? ` — ${v.description}` : "";
        problems.push({ variable: v.name, source: rv?.source, code: "missing", message: `${v.name}${where}: required but not set${what}` });
      }
      continue;
    }
    const prefix = `${v.name} (${formatProvenance(rv.source)}): ${showValue(rv.value, rv.secret, redact)}`;
    const invalid = (reason: string) => problems.push({ variable: v.name, source: rv.source, code: "invalid", message: `${prefix} ${reason}` });
    const checked = checkType(rv.value, v);
    if (!checked.ok) invalid(checked.reason);
    if (v.pattern && !v.pattern.test(rv.value)) invalid(`does not match pattern ${v.pattern}`);
    if (checked.ok && !(v.pattern && !v.pattern.test(rv.value))) typed.set(v.name, checked.typed);
  }
  return { problems, typed };
}
