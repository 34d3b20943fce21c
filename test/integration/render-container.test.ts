// End to end in a real container: an image made FROM the test bed's node image + the built CLI, whose
// ENTRYPOINT is the one in examples/entrypoint/Dockerfile (`portolan exec ... -- node /app/server.js`).
// dockerd starts it with the example's five env files mounted; it renders config.json (into a bind-mounted
// host file: written in place) and starts the program; `docker stop` reaches the program through portolan.
import { execFileSync, spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CONFIG } from "../../src/core/exit-codes.js";
import { assertBuilt } from "./cli.js";
import { RUN_LABEL } from "./docker.js";
import { TESTBED } from "./testbed.js";
import { until as waitUntil } from "../support/until.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const EXAMPLE = join(ROOT, "examples/push-server");
const IMAGE = `portolan-test/render-e2e:${process.pid}`;
const RUNTIME_PACKAGES = ["mustache", "commander", "yaml", "pino"];

function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DOCKER_BUILDKIT: "0" }, timeout: 180_000 }).trim();
}

/** The package and everything it depends on (node_modules is flat, as npm installs it). */
function closure(names: string[], seen = new Set<string>()): Set<string> {
  for (const n of names) {
    if (seen.has(n)) continue;
    seen.add(n);
    const pkg = JSON.parse(readFileSync(join(ROOT, "node_modules", n, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    closure(Object.keys(pkg.dependencies ?? {}), seen);
  }
  return seen;
}

/** The example Dockerfile's ENTRYPOINT, so the image docs/render.md describes and the tested image cannot drift apart. */
function exampleEntrypoint(): string[] {
  const line = readFileSync(join(ROOT, "examples/entrypoint/Dockerfile"), "utf8").split("\n").find((l) => l.startsWith("ENTRYPOINT "));
  return JSON.parse(line!.slice("ENTRYPOINT ".length)) as string[];
}

/** The example Dockerfile's /usr/local/bin/portolan script (its `RUN printf '...' > /usr/local/bin/portolan`). */
function exampleLauncher(): string {
  const line = readFileSync(join(ROOT, "examples/entrypoint/Dockerfile"), "utf8").split("\n").find((l) => l.includes("> /usr/local/bin/portolan"));
  const printf = /printf '([^']*)'/.exec(line ?? "")?.[1];
  if (printf === undefined) throw new Error("examples/entrypoint/Dockerfile: no printf '...' > /usr/local/bin/portolan line");
  return printf.replaceAll("\\n", "\n");
}

/** The example Dockerfile's RUN lines that work on the copied dist/ (the code cache for the image's node). */
function exampleRunLines(): string[] {
  return readFileSync(join(ROOT, "examples/entrypoint/Dockerfile"), "utf8").split("\n").filter((l) => l.startsWith("RUN node /opt/portolan/dist/"));
}

let ctx: string;
let work: string;
const containers: string[] = [];

beforeAll(async () => {
  assertBuilt();
  ctx = await mkdtemp(join(tmpdir(), "portolan-e2e-ctx-"));
  work = await mkdtemp(join(tmpdir(), "portolan-e2e-"));
  await cp(join(ROOT, "dist"), join(ctx, "opt/portolan/dist"), { recursive: true });
  await cp(join(ROOT, "package.json"), join(ctx, "opt/portolan/package.json"));
  for (const p of closure(RUNTIME_PACKAGES)) await cp(join(ROOT, "node_modules", p), join(ctx, "opt/portolan/node_modules", p), { recursive: true });
  await mkdir(join(ctx, "app"));
  for (const f of ["spec.yaml", "config.json.mustache", "server.js"]) await cp(join(EXAMPLE, f), join(ctx, "app", f));
  await writeFile(join(ctx, "portolan"), exampleLauncher(), { mode: 0o755 });
  await writeFile(
    join(ctx, "Dockerfile"),
    [
      `FROM ${TESTBED.nodeImage}`,
      "COPY opt/ /opt/",
      ...exampleRunLines(),
      "COPY portolan /usr/local/bin/portolan",
      "COPY app/ /app/",
      `ENTRYPOINT ${JSON.stringify(exampleEntrypoint())}`,
      "",
    ].join("\n"),
  );
  docker("build", "-q", "--label", `${RUN_LABEL}=render-e2e`, "-t", IMAGE, ctx);
});

afterAll(async () => {
  for (const c of containers) {
    try {
      docker("rm", "-f", c);
    } catch {
      // already gone
    }
  }
  try {
    docker("rmi", "-f", IMAGE);
  } catch {
    // never built
  }
  await rm(ctx, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

/** Container output, stdout and stderr (portolan's own messages go to stderr). */
function logsOf(id: string): string {
  const r = spawnSync("docker", ["logs", id], { encoding: "utf8" });
  return `${r.stdout}${r.stderr}`;
}

function runContainer(name: string, args: string[]): string {
  const full = `portolan-render-e2e-${process.pid}-${name}`;
  containers.push(full);
  return docker("run", "-d", "--name", full, "--label", `${RUN_LABEL}=render-e2e`, ...args, IMAGE);
}

const until = (what: string, cond: () => boolean, timeoutMs = 60_000) => waitUntil(what, cond, timeoutMs, 100);

describe("image with portolan exec as ENTRYPOINT", () => {
  it("0_renders_config_json_starts_the_program_and_docker_stop_reaches_it", async () => {
    const config = join(work, "config.json");
    await writeFile(config, "{}\n"); // a host file bind-mounted over /app/config.json: rendered in place
    const id = runContainer("ok", ["-v", `${join(EXAMPLE, "env")}:/etc/portolan:ro`, "-v", `${config}:/app/config.json`]);
    await until("program started", () => logsOf(id).includes("push-server: listening"));
    const rendered = JSON.parse(await readFile(config, "utf8")) as Record<string, unknown>;
    expect(rendered).toMatchObject({
      port: 8080,
      mongodb: { url: "mongodb://mongo1:27017,mongo2:27017/push?replicaSet=rs0" },
      redis: [{ host: "redis1", port: 6379 }, { host: "redis2", port: 6379 }],
      apns: { keyId: "ABC123DEFG", sandbox: true },
      sendTimeoutMs: 15000,
      workers: 8,
    });
    expect((rendered.apns as { authKey: string }).authKey).toContain("BEGIN PRIVATE KEY-----\nMIG");
    const t0 = Date.now();
    docker("stop", "-t", "20", id);
    expect(Date.now() - t0).toBeLessThan(15_000); // not the SIGKILL after -t
    const logs = logsOf(id);
    expect(logs).toContain("push-server: got SIGTERM, shutting down");
    expect(logs).not.toContain("AAAA-fcm-example-key"); // secrets never logged
    expect(docker("inspect", "-f", "{{.State.ExitCode}}", id)).toBe("0");
  });

  it("1_missing_required_mongodb_url_stops_before_the_program", async () => {
    const env = join(work, "env-no-mongo");
    await cp(join(EXAMPLE, "env"), env, { recursive: true });
    await writeFile(join(env, "service-locations.env"), "REDIS=redis1:6379\n");
    const id = runContainer("bad", ["-v", `${env}:/etc/portolan:ro`]);
    await until("container exit", () => docker("inspect", "-f", "{{.State.Status}}", id) === "exited");
    expect(Number(docker("inspect", "-f", "{{.State.ExitCode}}", id))).toBe(EXIT_CONFIG);
    const logs = logsOf(id);
    expect(logs).toContain("MONGODB_URL");
    expect(logs).not.toContain("push-server: listening");
    expect(existsSync(join(env, "config.json"))).toBe(false);
  });

  it("2_the_code_cache_made_in_the_image_is_accepted_by_the_image_node", () => {
    const loader = "/opt/portolan/dist/src/cli/portolan.cjs";
    const out = docker("run", "--rm", "--label", `${RUN_LABEL}=render-e2e`, "--entrypoint", "node", IMAGE, "-p", `require(${JSON.stringify(loader)}).loadBundle().cacheRejected`);
    expect(out).toBe("false");
  });
});
