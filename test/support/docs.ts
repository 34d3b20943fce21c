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
