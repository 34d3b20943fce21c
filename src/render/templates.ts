// Templates from disk -> rendered, validated outputs in memory. Reading is the only effect here; nothing is
// written: the caller hands the outputs to the writer once every template has rendered without a problem.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { checkDuplicateDestinations } from "./destinations.js";
import { MAX_OUTPUT_BYTES, MAX_TEMPLATE_BYTES, readTextLimited } from "./limits.js";
import { MissingTemplateNameError, TemplateNameError, TemplateReadError, type MissingNameAt } from "./run-errors.js";
import type { ServiceDirectory } from "./services.js";
import { usedServiceNames } from "./services.js";
import { formatFor, renderTemplate, ViewVar } from "./template.js";
import type { ResolvedConfig } from "./types.js";
import type { PlannedOutput } from "./writer.js";

/** `--template SRC:DEST[:MODE]`. */
export interface TemplateSpec {
  src: string;
  dest: string;
  mode?: number;
}

/** `--template-dir SRC_DIR:DEST_DIR[:MODE]`: every `*.mustache` / `*.tmpl` below SRC_DIR. */
export interface TemplateDirSpec {
  srcDir: string;
  destDir: string;
  mode?: number;
}

export const TEMPLATE_EXTENSIONS = [".mustache", ".tmpl"] as const;

export interface LoadedTemplate extends TemplateSpec {
  source: string;
}

/**
 * The files below `root` (relative paths). Sub-directories are entered only when they are real directories whose
 * name does not start with `.`: a symlink to a directory is not followed (one to `/` walked the whole filesystem,
 * one to `..` looped until ELOOP), and hidden directories are skipped (`.git`; a Kubernetes ConfigMap volume's
 * `..data` link and `..<timestamp>` directory, which held a second and third copy of every template). Files and
 * symlinks to files are listed (a ConfigMap's files are such links).
 */
function listFiles(root: string): string[] {
  const files: string[] = [];
  const dirs = [""];
  for (let rel = dirs.pop(); rel !== undefined; rel = dirs.pop()) {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true, encoding: "utf8" });
    } catch (err) {
      throw new TemplateReadError({ path: join(root, rel), cause: err });
    }
    for (const e of entries) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!e.name.startsWith(".")) dirs.push(path);
      } else files.push(path);
    }
  }
  return files;
}

/** `SRC_DIR/a/b.conf.tmpl` -> `DEST_DIR/a/b.conf` (extension stripped, sub-directories kept, sorted). */
export async function expandTemplateDir(d: TemplateDirSpec): Promise<TemplateSpec[]> {
  const entries = listFiles(d.srcDir);
  const specs: TemplateSpec[] = [];
  for (const rel of entries.sort()) {
    const ext = TEMPLATE_EXTENSIONS.find((e) => rel.endsWith(e));
    if (!ext || rel.split("/").pop() === ext) continue;
    if (/^\.+$/.test(rel.slice(0, -ext.length).split("/").pop()!)) throw new TemplateNameError({ flag: `--template-dir ${d.srcDir}:${d.destDir}`, path: join(d.srcDir, rel) });
    const spec: TemplateSpec = { src: join(d.srcDir, rel), dest: join(d.destDir, rel.slice(0, -ext.length)) };
    if (d.mode !== undefined) spec.mode = d.mode;
    specs.push(spec);
  }
  return specs;
}

/** Reads every template (explicit ones first, then each directory's); two outputs with one DEST are a usage error. */
export async function loadTemplates(templates: TemplateSpec[], dirs: TemplateDirSpec[]): Promise<LoadedTemplate[]> {
  const all = [...templates];
  const origins = templates.map((t) => ({ dest: t.dest, origin: `--template ${t.src}:${t.dest}` }));
  for (const d of dirs) {
    for (const t of await expandTemplateDir(d)) {
      all.push(t);
      origins.push({ dest: t.dest, origin: `--template-dir ${d.srcDir}:${d.destDir} (${t.src})` });
    }
  }
  checkDuplicateDestinations(origins);
  // Synchronous reads: a few small files at container start (see writer.ts).
  return all.map((t) => {
    try {
      return { ...t, source: readTextLimited(t.src, MAX_TEMPLATE_BYTES) };
    } catch (err) {
      throw new TemplateReadError({ path: t.src, cause: err });
    }
  });
}

/** The view templates render against: every resolved variable by name, plus `services` when a registry is used. */
export function buildView(config: ResolvedConfig, services?: ServiceDirectory): Map<string, unknown> {
  const view = new Map<string, unknown>();
  if (services) view.set("services", services);
  for (const [name, v] of config.values) view.set(name, new ViewVar(v.value, v.typed, v.secret || config.secrets.has(name)));
  return view;
}

export interface RenderedSet {
  outputs: PlannedOutput[];
  /** Service names any template used: the watch re-renders only when these change. */
  services: string[];
}

/**
 * Renders every template against the view. Throws MissingTemplateNameError listing every unknown name of every
 * template, or the first TemplateSyntaxError; returns outputs only when all templates rendered.
 */
export function renderAll(templates: LoadedTemplate[], view: Map<string, unknown>): RenderedSet {
  const outputs: PlannedOutput[] = [];
  const missing: MissingNameAt[] = [];
  const used = new Set<string>();
  for (const t of templates) {
    const r = renderTemplate(t.source, t.src, view, { format: formatFor(t.dest), maxOutput: MAX_OUTPUT_BYTES });
    for (const m of r.missing) missing.push({ file: t.src, ...m });
    for (const u of r.used) used.add(u);
    const out: PlannedOutput = { dest: t.dest, content: r.output, usesSecret: r.usesSecret };
    if (t.mode !== undefined) out.mode = t.mode;
    outputs.push(out);
  }
  if (missing.length > 0) throw new MissingTemplateNameError(missing);
  return { outputs, services: usedServiceNames(used) };
}
