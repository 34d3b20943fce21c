// Runs examples/push-server and examples/entrypoint as documented (the built CLI, real files), and the render
// snippets of docs/render.md and the README's tour, so they cannot rot.
// The container side of examples/entrypoint is proven by render-container.test.ts.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile, cp } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CONFIG } from "../../src/core/exit-codes.js";
import { headingSection, readDoc } from "../support/docs.js";
import { CLI, runCli } from "./cli.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const EX = join(ROOT, "examples/push-server");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "portolan-examples-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The example's own flags, as in examples/entrypoint/Dockerfile, with paths pointed at the repository. */
function entrypointFlags(envDir: string, out: string): string[] {
  const line = readFileSync(join(ROOT, "examples/entrypoint/Dockerfile"), "utf8").split("\n").find((l) => l.startsWith("ENTRYPOINT "))!;
  const argv = JSON.parse(line.slice("ENTRYPOINT ".length)) as string[];
  const flags = argv.slice(2, argv.indexOf("--"));
  return flags.map((a) =>
    a.replace("/etc/portolan", envDir).replace("/app/config.json.mustache:/app/config.json", `${EX}/config.json.mustache:${out}`).replace("/app/spec.yaml", `${EX}/spec.yaml`),
  );
}

describe("examples/push-server", () => {
  it("0_renders_config_json_from_the_five_env_files", async () => {
    const out = join(dir, "config.json");
    const r = runCli(["render", ...entrypointFlags(join(EX, "env"), out)]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const config = JSON.parse(await readFile(out, "utf8")) as Record<string, unknown>;
    expect(config).toEqual({
      port: 8080,
      logLevel: "info",
      mongodb: { url: "mongodb://mongo1:27017,mongo2:27017/push?replicaSet=rs0" },
      redis: [
        { host: "redis1", port: 6379 },
        { host: "redis2", port: 6379 },
      ],
      apns: { keyId: "ABC123DEFG", authKey: "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg\n-----END PRIVATE KEY-----", sandbox: true },
      fcm: { serverKey: "AAAA-fcm-example-key" },
      sendTimeoutMs: 15000,
      workers: 8,
    });
    expect((await stat(out)).mode & 0o777).toBe(0o600); // it carries secrets
  });

  it("1_process_env_beats_the_files_and_dry_run_masks_secrets", async () => {
    const out = join(dir, "never.json");
    const r = runCli(["render", "--dry-run", ...entrypointFlags(join(EX, "env"), out)], { WORKERS: "16" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"workers": 16');
    expect(r.stdout).toContain('"serverKey": "********"');
    expect(r.stdout).not.toContain("AAAA-fcm-example-key");
    expect(r.stdout).not.toContain("MIGTAgEA");
  });

  it("2_missing_mongodb_url_and_bad_values_reported_together", async () => {
    const env = join(dir, "env");
    await cp(join(EX, "env"), env, { recursive: true });
    await writeFile(join(env, "service-locations.env"), "REDIS=redis1:6379\n");
    await writeFile(join(env, "push-server.env"), "APNS_KEY_ID=short\nWORKERS=500\n");
    const out = join(dir, "bad.json");
    const r = runCli(["render", ...entrypointFlags(env, out)]);
    expect(r.code).toBe(EXIT_CONFIG);
    expect(r.stderr).toContain("MONGODB_URL");
    expect(r.stderr).toContain(`${env}/push-server.env:1`); // APNS_KEY_ID's file:line
    expect(r.stderr).toContain(`${env}/push-server.env:2`); // WORKERS
    await expect(stat(out)).rejects.toThrow();
  });
});

const RENDER_DOCS: Array<[string, string]> = [
  ["docs_render_md", readDoc("docs/render.md")],
  ["readme_entrypoint_renderer", headingSection(readDoc("README.md"), "## Entrypoint renderer")],
];

describe("render snippets in the docs", () => {
  RENDER_DOCS.forEach(([name, section], i) => it(`${i}_${name}_sh_snippets_run_as_written`, () => {
    const snippets = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(snippets.length).toBeGreaterThan(0);
    for (const snippet of snippets) {
      const script = `portolan() { "${process.execPath}" "${CLI}" "$@"; }\n${snippet}`;
      const r = spawnSync("sh", ["-c", script], { cwd: ROOT, encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('"serverKey": "********"');
    }
  }));
});
