// The template pipeline: --template-dir expansion, the view built from a ResolvedConfig, all-or-nothing rendering.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildView, expandTemplateDir, loadTemplates, renderAll } from "../../src/render/templates.js";
import { MissingTemplateNameError, TemplateReadError } from "../../src/render/run-errors.js";
import type { ResolvedConfig, ResolvedValue } from "../../src/render/types.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "portolan-tdir-"));
  await mkdir(join(dir, "src/conf.d"), { recursive: true });
  await writeFile(join(dir, "src/app.json.mustache"), '{"db": "{{DB_URL}}"}');
  await writeFile(join(dir, "src/conf.d/nginx.conf.tmpl"), "listen {{PORT}};");
  await writeFile(join(dir, "src/README.md"), "not a template");
  await writeFile(join(dir, "src/.tmpl"), "no name");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const val = (value: string, secret = false, typed: unknown = value): ResolvedValue => ({ value, typed, secret, source: { kind: "process-env" } });
const config: ResolvedConfig = {
  values: new Map([
    ["DB_URL", val('mongodb://u:p"w@db/x', true)],
    ["PORT", val("8080", false, 8080)],
  ]),
  secrets: new Set(["DB_URL"]),
};

describe("template pipeline", () => {
  it("0_template_dir_maps_extensions_away_and_keeps_subdirs", async () => {
    expect(await expandTemplateDir({ srcDir: join(dir, "src"), destDir: "/etc/app", mode: 0o640 })).toEqual([
      { src: join(dir, "src/app.json.mustache"), dest: "/etc/app/app.json", mode: 0o640 },
      { src: join(dir, "src/conf.d/nginx.conf.tmpl"), dest: "/etc/app/conf.d/nginx.conf", mode: 0o640 },
    ]);
  });

  it("4_template_dir_follows_no_directory_link_and_skips_hidden_directories", async () => {
    // A Kubernetes ConfigMap volume: each file is a link into `..data`, a link to the hidden `..<timestamp>` dir.
    const cm = join(dir, "configmap");
    await mkdir(join(cm, "..2026_11_30_21_00_00.123"), { recursive: true });
    await writeFile(join(cm, "..2026_11_30_21_00_00.123/app.conf.tmpl"), "x");
    await symlink("..2026_11_30_21_00_00.123", join(cm, "..data"));
    await symlink("..data/app.conf.tmpl", join(cm, "app.conf.tmpl"));
    await mkdir(join(cm, ".git"));
    await writeFile(join(cm, ".git/hook.tmpl"), "x");
    await writeFile(join(cm, ".env.tmpl"), "x"); // a hidden file is a template like any other
    await symlink("/", join(cm, "root")); // out of the tree: not walked
    await mkdir(join(cm, "sub"));
    await symlink("..", join(cm, "sub/up")); // a loop: not walked
    expect(await expandTemplateDir({ srcDir: cm, destDir: "/out" })).toEqual([
      { src: join(cm, ".env.tmpl"), dest: "/out/.env" },
      { src: join(cm, "app.conf.tmpl"), dest: "/out/app.conf" },
    ]);
  });

  it("1_renders_all_with_json_escaping_and_secret_modes", async () => {
    const templates = await loadTemplates([], [{ srcDir: join(dir, "src"), destDir: "/out" }]);
    const { outputs, services } = renderAll(templates, buildView(config));
    expect(services).toEqual([]);
    expect(outputs).toEqual([
      { dest: "/out/app.json", content: '{"db": "mongodb://u:p\\"w@db/x"}', usesSecret: true },
      { dest: "/out/conf.d/nginx.conf", content: "listen 8080;", usesSecret: false },
    ]);
    expect(JSON.parse(outputs[0]!.content)).toEqual({ db: 'mongodb://u:p"w@db/x' });
  });

  it("2_every_missing_name_of_every_template_reported_together", async () => {
    await writeFile(join(dir, "a.tmpl"), "{{A}}\n{{PORT}}");
    await writeFile(join(dir, "b.tmpl"), "\n\n{{B}}");
    const templates = await loadTemplates([{ src: join(dir, "a.tmpl"), dest: "/x/a" }, { src: join(dir, "b.tmpl"), dest: "/x/b" }], []);
    let caught: unknown;
    try {
      renderAll(templates, buildView(config));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MissingTemplateNameError);
    expect((caught as MissingTemplateNameError).missing).toEqual([
      { file: join(dir, "a.tmpl"), name: "A", line: 1 },
      { file: join(dir, "b.tmpl"), name: "B", line: 3 },
    ]);
  });

  it("3_unreadable_template_or_dir", async () => {
    await expect(loadTemplates([{ src: join(dir, "nope"), dest: "/x" }], [])).rejects.toBeInstanceOf(TemplateReadError);
    await expect(loadTemplates([], [{ srcDir: join(dir, "nodir"), destDir: "/x" }])).rejects.toBeInstanceOf(TemplateReadError);
  });
});
