// The documentation pages tests hold the code to: README.md (the tour) and docs/*.md (the reference).
import { readFileSync } from "node:fs";

/** The repository root, as a file path ending in `/`. */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** The text of a page, by its path from the repository root (`README.md`, `docs/render.md`). */
export function readDoc(path: string): string {
  return readFileSync(REPO_ROOT + path, "utf8");
}

/** The body of the part of `text` between `<!-- section:name -->` and `<!-- /section:name -->`; throws when absent. */
export function markedSection(text: string, name: string): string {
  const start = text.indexOf(`<!-- section:${name} -->`);
  const end = text.indexOf(`<!-- /section:${name} -->`, start);
  if (start < 0 || end < 0) throw new Error(`no <!-- section:${name} --> … <!-- /section:${name} --> in the page`);
  return text.slice(start, end);
}

/**
 * The part of `text` from the line `heading` (e.g. `## Flags`) to the next heading of the same or a higher level
 * (fenced code is not read for headings); throws when the heading is absent.
 */
export function headingSection(text: string, heading: string): string {
  const level = /^#+/.exec(heading)?.[0].length ?? 0;
  if (level === 0) throw new Error(`not a heading: ${heading}`);
  const lines = text.split("\n");
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading "${heading}" in the page`);
  let fenced = false;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("```")) fenced = !fenced;
    const hashes = /^(#+) /.exec(line)?.[1]?.length;
    if (!fenced && hashes !== undefined && hashes <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join("\n");
}

/** GitHub's anchor for a heading: lower case, inline markup and punctuation dropped, spaces as `-`. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a page's headings (outside fenced code), a repeated one with `-1`, `-2`, … as GitHub numbers them. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const m = fenced ? null : /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = headingAnchor(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Every link and image target of a page (`[text](target)`), outside fenced code and inline code. */
export function linkTargets(text: string): string[] {
  const targets: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) targets.push(m[1]!);
  }
  return targets;
}
