// Pure template step: mustache source + in-memory view -> { output, used, missing }. Never touches disk.
//
// Parsing gives mustache.js's token tree (mustache-parse.ts: the same tree as Mustache.parse, in memory
// proportional to the template); rendering is done here so that an unknown name becomes a `missing` entry with
// its line instead of an empty string, HTML escaping never happens, and values are escaped for the output
// format (JSON) where it has one.
import { parseMustache, type Token } from "./mustache-parse.js";
import { TemplateOutputTooLargeError, TemplateSyntaxError } from "./run-errors.js";

/** How interpolated values are escaped: `json` for `.json` destinations (JSON string escaping), else none. */
export type OutputFormat = "text" | "json";

/**
 * A variable of the resolved config as the view holds it: `{{NAME}}` prints `value`;
 * `{{#NAME}}` tests/iterates `typed` (so a bool `false` is falsy and a list iterates).
 */
export class ViewVar {
  constructor(
    readonly value: string,
    readonly typed: unknown,
    readonly secret: boolean,
  ) {}
}

/** Objects carrying this symbol resolve names lazily (e.g. the `services` directory: any name -> a list). */
export const LOOKUP: unique symbol = Symbol("portolan.view.lookup");
export interface LazyLookup {
  [LOOKUP](name: string): unknown;
}

export interface RenderTemplateOptions {
  format?: OutputFormat;
  /** Longest output (in UTF-16 code units, i.e. characters for most text); longer fails with TemplateOutputTooLargeError. */
  maxOutput?: number;
}

export interface MissingName {
  name: string;
  line: number;
}

export interface TemplateResult {
  output: string;
  /** Every name the template looked up (deduplicated, in first-use order); `services.X` for service lists. */
  used: string[];
  /** Names that resolved to nothing, with the template line of each use. Non-empty = the render failed. */
  missing: MissingName[];
  /** True when a secret variable was interpolated: the writer then defaults the file mode to 0600. */
  usesSecret: boolean;
}

/** Picks the escaping from the destination path. */
export function formatFor(dest: string): OutputFormat {
  return dest.toLowerCase().endsWith(".json") ? "json" : "text";
}


/** A loop frame: exposes `first`, `last`, `index` (0-based) and `number` (1-based) to the section body. */
interface LoopFrame {
  first: boolean;
  last: boolean;
  index: number;
  number: number;
}

const NOT_FOUND: unique symbol = Symbol("not-found");

function lineAt(lineStarts: number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function lineStartsOf(src: string): number[] {
  const starts = [0];
  for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/**
 * Helpers on a variable: `NAME.value` (the raw string), `NAME.typed` (the spec-typed value: a duration in ms, a
 * number, true/false), `NAME.json` (the typed value as JSON; use `{{{NAME.json}}}` to embed it unescaped).
 * Other keys look inside the typed value (`{{#PEERS}}{{host}}{{/PEERS}}` items). Results keep the secret flag.
 */
function varHelper(v: ViewVar, key: string): unknown {
  switch (key) {
    case "value":
      return new ViewVar(v.value, v.value, v.secret);
    case "typed":
      return new ViewVar(toText(v.typed ?? v.value), v.typed, v.secret);
    case "json": {
      const json = JSON.stringify(v.typed ?? v.value);
      return new ViewVar(json, json, v.secret);
    }
    default:
      return step(v.typed, key);
  }
}

/** One step of a dotted lookup inside a value; NOT_FOUND when the value has no such key. */
function step(value: unknown, key: string): unknown {
  if (value === null || value === undefined || value instanceof DotFrame) return NOT_FOUND;
  if (value instanceof ViewVar) return varHelper(value, key);
  if (typeof value === "object" && LOOKUP in value) return (value as LazyLookup)[LOOKUP](key);
  if (value instanceof Map) return value.has(key) ? value.get(key) : NOT_FOUND;
  if (typeof value === "object" && hasOwn(value, key)) return (value as Record<string, unknown>)[key];
  return NOT_FOUND;
}

/**
 * The context a section over a scalar value pushes (mustache: `{{#NAME}}{{.}}{{/NAME}}` prints NAME's value).
 * Only `{{.}}` sees it; other names look past it, so a variable's helpers (`value`, `typed`) never shadow names.
 */
class DotFrame {
  constructor(readonly value: unknown) {}
}

/** `{{.}}`: the current context value — a list item, or the value of the enclosing section; nothing at top level. */
function currentContext(stack: unknown[]): unknown {
  const top = stack[stack.length - 1];
  if (top instanceof DotFrame) return top.value;
  return stack.length > 1 ? top : NOT_FOUND; // stack[0] is the whole view: {{.}} outside any section is not a value
}

function lookup(stack: unknown[], name: string): unknown {
  if (name === ".") return currentContext(stack);
  const parts = name.split(".");
  const head = parts[0]!;
  for (let i = stack.length - 1; i >= 0; i--) {
    let v = step(stack[i], head);
    if (v === NOT_FOUND) continue;
    for (const p of parts.slice(1)) {
      v = step(v, p);
      if (v === NOT_FOUND) return NOT_FOUND;
    }
    return v;
  }
  return NOT_FOUND;
}

function toText(value: unknown): string {
  if (value instanceof ViewVar) return value.value;
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.map(toText).join(",");
  return JSON.stringify(value);
}

function escapeFor(format: OutputFormat, text: string): string {
  return format === "json" ? JSON.stringify(text).slice(1, -1) : text;
}

function isFalsy(v: unknown): boolean {
  return v === false || v === null || v === undefined || v === "" || v === 0 || (Array.isArray(v) && v.length === 0);
}

/** What a section iterates or tests: a ViewVar's typed value, otherwise the value itself. */
function sectionValue(v: unknown): unknown {
  return v instanceof ViewVar ? v.typed : v;
}

class Renderer {
  private readonly used = new Set<string>();
  readonly missing: MissingName[] = [];
  usesSecret = false;

  constructor(
    private readonly lineStarts: number[],
    private readonly format: OutputFormat,
    private readonly maxOutput: number,
  ) {}

  usedNames(): string[] {
    return [...this.used];
  }

  private resolve(stack: unknown[], name: string, offset: number): unknown {
    const v = lookup(stack, name);
    if (name !== "." && !isLoopKey(name, stack)) this.used.add(name);
    if (v === NOT_FOUND) {
      this.missing.push({ name, line: lineAt(this.lineStarts, offset) });
      return undefined;
    }
    return v;
  }

  render(tokens: Token[], stack: unknown[]): string {
    let out = "";
    for (const t of tokens) {
      const [type, value, start] = t;
      switch (type) {
        case "text":
          out += value;
          break;
        case "name":
        case "&": {
          const v = this.resolve(stack, value, start);
          if (v instanceof ViewVar && v.secret) this.usesSecret = true;
          const text = toText(v);
          out += type === "name" ? escapeFor(this.format, text) : text;
          break;
        }
        case "#": {
          const raw = this.resolve(stack, value, start);
          if (raw instanceof ViewVar && raw.secret) this.usesSecret = true;
          const v = sectionValue(raw);
          const body = t[4] ?? [];
          if (isFalsy(v)) break;
          if (Array.isArray(v)) {
            v.forEach((item, index) => {
              const frame: LoopFrame = { first: index === 0, last: index === v.length - 1, index, number: index + 1 };
              out += this.render(body, [...stack, frame, item]);
            });
          } else if (typeof v === "object") {
            out += this.render(body, [...stack, v]);
          } else {
            out += this.render(body, [...stack, new DotFrame(raw)]);
          }
          break;
        }
        case "^": {
          const v = sectionValue(this.resolve(stack, value, start));
          if (isFalsy(v)) out += this.render(t[4] ?? [], stack);
          break;
        }
        case ">":
          throw new TemplateSyntaxError({ line: lineAt(this.lineStarts, start), message: `partials ({{>${value}}}) are not supported` });
        default:
          // "!" comments and "=" delimiter changes produce nothing.
          break;
      }
      if (out.length > this.maxOutput) throw new TemplateOutputTooLargeError({ line: lineAt(this.lineStarts, start), limit: this.maxOutput });
    }
    return out;
  }
}

/** `first`/`last`/`index`/`number` inside a loop are loop bookkeeping, not names the template depends on. */
function isLoopKey(name: string, stack: unknown[]): boolean {
  if (name !== "first" && name !== "last" && name !== "index" && name !== "number") return false;
  return stack.some((f) => typeof f === "object" && f !== null && "first" in f && "last" in f && "number" in f);
}

/** mustache reports an unclosed section at the end of input; point at the section's opening tag instead. */
function syntaxErrorLine(src: string, lineStarts: number[], message: string): number {
  const unclosed = /^Unclosed section "(.+)"/.exec(message);
  if (unclosed) {
    const name = unclosed[1]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const opens = [...src.matchAll(new RegExp(`\\{\\{\\s*[#^]\\s*${name}\\s*\\}\\}`, "g"))];
    const last = opens[opens.length - 1];
    if (last?.index !== undefined) return lineAt(lineStarts, last.index);
  }
  const at = /at (\d+)\s*$/.exec(message);
  return at ? lineAt(lineStarts, Number(at[1])) : 1;
}

/**
 * Renders `src` (named `file` in errors) against `view`. Unknown names are collected in `missing`
 * (with lines) rather than thrown, so a caller can report every problem of every template at once.
 * Throws TemplateSyntaxError for a template mustache cannot parse (or a partial).
 */
export function renderTemplate(src: string, file: string, view: unknown, opts: RenderTemplateOptions = {}): TemplateResult {
  const lineStarts = lineStartsOf(src);
  let tokens: Token[];
  try {
    tokens = parseMustache(src);
  } catch (err) {
    const message = (err as Error).message;
    throw new TemplateSyntaxError({ file, line: syntaxErrorLine(src, lineStarts, message), message, cause: err });
  }
  const r = new Renderer(lineStarts, opts.format ?? "text", opts.maxOutput ?? Infinity);
  let output: string;
  try {
    output = r.render(tokens, [view]);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new TemplateSyntaxError({ file, line: err.line, message: err.detail });
    if (err instanceof TemplateOutputTooLargeError) throw new TemplateOutputTooLargeError({ file, line: err.line, limit: err.limit });
    throw err;
  }
  return { output, used: r.usedNames(), missing: r.missing, usesSecret: r.usesSecret };
}
