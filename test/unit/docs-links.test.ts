// Every relative link of README.md, docs/*.md and the adapters' and examples' READMEs leads to a file that exists,
// and an anchor to a heading of that page, so moving text between pages cannot leave a link behind.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { anchorsOf, headingAnchor, linkTargets, readDoc, REPO_ROOT } from "../support/docs.js";

/** The pages checked, by path from the repository root. */
function pages(): string[] {
  const under = (dir: string, pick: (name: string) => string | undefined) =>
    readdirSync(join(REPO_ROOT, dir))
      .map(pick)
      .filter((p): p is string => p !== undefined && existsSync(join(REPO_ROOT, dir, p)))
      .map((p) => `${dir}/${p}`);
  return [
    "README.md",
    ...under("docs", (n) => (n.endsWith(".md") ? n : undefined)),
    ...under("adapters", (n) => `${n}/README.md`),
    ...under("examples", (n) => `${n}/README.md`),
  ];
}

/** The links of `page` that lead nowhere, each with the reason. */
function brokenLinks(page: string, text: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not ours to check
    const [path = "", anchor] = target.split("#", 2);
    const file = path === "" ? page : normalize(join(dirname(page), decodeURIComponent(path)));
    if (file.startsWith("..") || !existsSync(join(REPO_ROOT, file))) {
      broken.push(`${target}: no file ${file}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!file.endsWith(".md") || statSync(join(REPO_ROOT, file)).isDirectory()) {
      broken.push(`${target}: an anchor into ${file}, which is not a page`);
      continue;
    }
    const targetText = file === page ? text : readDoc(file);
    if (!anchorsOf(targetText).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${relative(".", file)}`);
  }
  return broken;
}

describe("relative links resolve", () => {
  const all = pages();
  it("0_the_pages_are_found", () => {
    expect(all).toEqual(expect.arrayContaining(["README.md", "docs/registrator.md", "docs/benchmarks.md", "adapters/consul/README.md"]));
  });
  it("1_every_docs_page_is_linked_from_the_readme", () => {
    const linked = new Set(linkTargets(readDoc("README.md")).map((t) => t.split("#")[0]));
    expect(all.filter((p) => p.startsWith("docs/") && !linked.has(p))).toEqual([]);
  });
  all.forEach((page, i) =>
    it(`${i + 2}_${page}`, () => {
      expect(brokenLinks(page, readDoc(page))).toEqual([]);
    }),
  );
});

describe("the link checker", () => {
  /** Per page: links that resolve, then links that do not (name: what it shows). */
  const cases: Record<string, { resolve: Record<string, string>; broken: Record<string, string> }> = {
    "README.md": {
      resolve: { existing_file_and_anchor: "[x](docs/registrator.md#flags)", own_anchor: "# A b\n[x](#a-b)", inline_code_is_no_link: "`[x](nowhere)`", fenced_code_is_no_link: "```\n[x](nowhere)\n```", web_links_left_alone: "[x](https://example.com/nowhere)" },
      broken: { missing_file: "[x](docs/no-such-page.md)", outside_the_repository: "[x](../etc/passwd)", missing_anchor: "[x](docs/registrator.md#no-such-heading)", own_anchor_missing: "# A b\n[x](#a-c)" },
    },
    "docs/render.md": {
      resolve: { relative_to_the_page: "[x](../examples/push-server/)" },
      broken: { not_relative_to_the_root: "[x](examples/push-server/)" },
    },
    "docs/catalog.md": {
      resolve: { image: "![x](catalog-hosts.png)" },
      broken: {},
    },
  };

  const table = Object.entries(cases).flatMap(([page, c]) => [
    ...Object.entries(c.resolve).map(([name, text]) => ({ name, page, text, broken: 0 })),
    ...Object.entries(c.broken).map(([name, text]) => ({ name, page, text, broken: 1 })),
  ]);
  table.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      expect(brokenLinks(c.page, c.text)).toHaveLength(c.broken);
    }),
  );

  const anchors: Array<[string, string]> = [
    ["## DNS shim (`dns`)", "dns-shim-dns"],
    ["## portolan://", "portolan"],
    ["### `exec --watch` beside consul-template", "exec---watch-beside-consul-template"],
    ["## Backends (registry URIs)", "backends-registry-uris"],
    ["## registrator and up", "registrator-and-up"],
  ];
  anchors.forEach(([heading, anchor], i) =>
    it(`${i + table.length}_anchor_of_${anchor}`, () => {
      expect(anchorsOf(heading).has(anchor)).toBe(true);
      expect(headingAnchor(heading.replace(/^#+ /, ""))).toBe(anchor);
    }),
  );
});
