// Every adapter's README.md has one layout, so a reader finds the same thing in the same place for each backend:
// its title, then these sections in this order, and at most one "Why …" section last (a design choice explained).
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readDoc, REPO_ROOT } from "../support/docs.js";

const LAYOUT = ["URI", "Files", "What is written", "Reads and watch", "Auth", "Failures", "Limits", "Examples"];

/** The title and the `## ` headings of a page, outside fenced code. */
function outline(text: string): { title: string | undefined; sections: string[] } {
  let fenced = false;
  const headings: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    else if (!fenced && /^#{1,2} /.test(line)) headings.push(line);
  }
  return { title: headings.find((h) => h.startsWith("# "))?.slice(2), sections: headings.filter((h) => h.startsWith("## ")).map((h) => h.slice(3)) };
}

describe("adapter READMEs share one layout", () => {
  const adapters = readdirSync(`${REPO_ROOT}adapters`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  it("0_every_adapter_is_checked", () => {
    expect(adapters).toEqual(expect.arrayContaining(["consul", "etcd", "eureka", "memory", "portolan", "zookeeper"]));
  });
  adapters.forEach((name, i) =>
    it(`${i + 1}_${name}`, () => {
      const { title, sections } = outline(readDoc(`adapters/${name}/README.md`));
      expect(title).toBe(`adapters/${name}`);
      const why = sections.slice(LAYOUT.length);
      expect(sections.slice(0, LAYOUT.length)).toEqual(LAYOUT);
      expect(why.length).toBeLessThanOrEqual(1);
      for (const extra of why) expect(extra).toMatch(/^Why /);
    }),
  );
});
